#!/usr/bin/env bash
# Integration test of kernel offload (ctl/offload/, ports/offload/; root) with two bridges, each
# its own L2 domain: stations 02:00:00:00:00:01..03 on bro1 (a1 a2 a3) and the same MACs, same
# VLAN, on bro2 (b1 b2 b3), with raw frames (offload/rawframes.py):
# - both bridges' entries are installed and the kernel carries each bridge's unicast (counted
#   on that bridge's entries only);
# - a move of MAC 01 on bro2 (its frame on b2, the switch stopped: SIGSTOP) stops the kernel
#   for bro2's station only: bro1 still carries a3 -> a1 by the kernel, and after the switch
#   runs again bro2's entries follow the move while bro1's stay.
#
#   offload_bridges_test.sh BUILD_DIR     exit 0 pass, 1 fail, 77 skipped (not root, no BPF)
set -u
export PATH=/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C
BUILD=$1
HERE=$(cd "$(dirname "$0")" && pwd)
RAW="python3 $HERE/offload/rawframes.py"
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
command -v python3 >/dev/null || { echo "SKIP: no python3"; exit 77; }
P=lob$(($$ % 100000))
W=$(mktemp -d /tmp/lvs-offload-bridges.XXXXXX)
NAMES="a1 a2 a3 b1 b2 b3"
NETNS="$NAMES h"
# shellcheck source=../support/vswitchd_env.sh
. "$(dirname "$0")/../support/vswitchd_env.sh" || exit 1
M1=02:00:00:00:00:01 M2=02:00:00:00:00:02 M3=02:00:00:00:00:03
# carried BRIDGE: packets the kernel carried by that bridge's entries, and how many entries
carried() {
  vsctl --format json dpif/offload-show "$1" | python3 -c '
import json, sys
e = json.load(sys.stdin)["entries"]
print(sum(x["packets"] for x in e), len(e))'
}
out_is() { [ "$(offload out_port "$1" "$2")" = "$3" ]; }  # out_is IN_PORT MAC OUT_PORT
# all_entries X: the six entries of bridge bro<1|2> (ports hX1..hX3), each to its station
all_entries() {
  out_is h${1}1 $M2 h${1}2 && out_is h${1}1 $M3 h${1}3 && out_is h${1}2 $M1 h${1}1 &&
    out_is h${1}2 $M3 h${1}3 && out_is h${1}3 $M1 h${1}1 && out_is h${1}3 $M2 h${1}2
}

ip netns add ${P}h && H ip link set lo up || fail "host namespace"
H sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
start_daemon
vsctl add-br bro1 -- add-br bro2 || fail "add-br"
for n in $NAMES; do  # station xK: MAC 02:00:00:00:00:0K on both bridges, host end hxK
  ip netns add $P$n || fail "namespace $n"
  ip netns exec $P$n sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
  ip link add h$n netns ${P}h type veth peer name eth0 address 02:00:00:00:00:0${n#?} netns $P$n ||
    fail "veth $n"
  ip -n $P$n link set eth0 up && H ip link set h$n up || fail "link $n"
done
vsctl add-port bro1 ha1 -- add-port bro1 ha2 -- add-port bro1 ha3 \
  -- add-port bro2 hb1 -- add-port bro2 hb2 -- add-port bro2 hb3 || fail "ports"
state=$(vsctl --format json dpif/offload-show | python3 -c 'import json,sys; print(json.load(sys.stdin)["kernel_offload"])')
case "$state" in
  on) ;;
  unavailable*) echo "SKIP: kernel offload $state"; exit 77 ;;
  *) fail "kernel-offload is \"$state\"" ;;
esac

$RAW learn $P a1:u a2:u a3:u && $RAW learn $P b1:u b2:u b3:u || fail "learn"
until_ok 3 all_entries a || fail "bro1's entries: $(vsctl dpif/offload-show)"
until_ok 3 all_entries b || fail "bro2's entries: $(vsctl dpif/offload-show)"
# Each bridge's six unicast frames (every station to every other), one bridge at a time.
for x in a b; do
  out=$($RAW matrix $P ${x}1:u ${x}2:u ${x}3:u) || fail "matrix $x"
  got=$(echo "$out" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
  [ "$got" = 6 ] || fail "bro $x: $got of 6 frames arrived: $out"
done
read -r n1 e1 < <(carried bro1)
read -r n2 e2 < <(carried bro2)
log "bro1: $e1 entries carried $n1 frames; bro2: $e2 entries carried $n2 frames"
# 3 stations x 3 other ports (the bridge's veth internal port is one) each; 6 frames each.
[ "$e1" = 9 ] && [ "$e2" = 9 ] && [ "$n1" = 6 ] && [ "$n2" = 6 ] ||
  fail "not 9 entries and 6 frames by the kernel on each bridge: $(vsctl dpif/offload-show)"

# MAC 01 moves on bro2 (a frame from b2) while the switch is stopped: bro1's station of the
# same MAC and VLAN is another station, still carried (a3 -> a1, by the kernel alone).
kill -STOP "$(cat "$W/d.pid")"
out=$($RAW stopped-move $P a1 b2 a3)
kill -CONT "$(cat "$W/d.pid")"
log "switch stopped: a3 -> a1 before bro2's move reached $out"
echo "$out" | python3 -c 'import json,sys; d=json.load(sys.stdin); sys.exit(d["before"] != ["a1"] or d["after"] != ["a1"])' ||
  fail "a frame of the MAC on bro2 stopped the kernel for bro1's station: $out"
# The switch learns the move from that frame unless the FDB's writer lock was busy (a learn
# never waits for it: switch/fdb.hpp), likelier while the resumed daemon catches up: 01 says
# again from b2 that it is there until bro2's entry follows.
moved_to_b2() { $RAW learn $P b2:u && out_is hb3 $M1 hb2; }
until_ok 3 moved_to_b2 || fail "bro2's entry hb3 -> 01 did not follow the move: $(vsctl dpif/offload-show)"
out_is ha3 $M1 ha1 && out_is ha2 $M1 ha1 || fail "bro1's entries to 01 changed: $(vsctl dpif/offload-show)"
read -r n1 e1 < <(carried bro1)
[ "$n1" = 8 ] || fail "bro1's entries carried $n1 frames, not 6 + 2: $(vsctl dpif/offload-show)"
log "PASS"
