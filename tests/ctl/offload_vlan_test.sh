#!/usr/bin/env bash
# Integration test of kernel offload (ctl/offload/, ports/offload/; root) with raw frames
# (offload/rawframes.py: AF_PACKET in the namespaces, no 802.1Q module needed):
# - the VLAN matrix: access, trunk, native-tagged and native-untagged ports, each station
#   sending untagged and tagged frames to every other: what arrives where, byte for byte, is
#   the same with offload on (and the kernel carried frames, pushing and popping tags) as off;
# - a MAC move between two offloaded ports re-steers within one frame, by the kernel alone
#   (the switch is stopped meanwhile: SIGSTOP);
# - a MAC move onto a port the kernel does not serve withdraws its entries at once (the PMD's
#   move wakes the sync), not at the next 100 ms tick.
#
#   offload_vlan_test.sh BUILD_DIR     exit 0 pass, 1 fail, 77 skipped (not root, no BPF)
set -u
export PATH=/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C
BUILD=$1
HERE=$(cd "$(dirname "$0")" && pwd)
RAW="python3 $HERE/offload/rawframes.py"
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
command -v python3 >/dev/null || { echo "SKIP: no python3"; exit 77; }
P=lov$(($$ % 100000))
W=$(mktemp -d /tmp/lvs-offload-vlan.XXXXXX)
NAMES="a1 a2 t1 nt nu a3 mb mt"
NETNS="$NAMES h"
# shellcheck source=../support/vswitchd_env.sh
. "$(dirname "$0")/../support/vswitchd_env.sh" || exit 1
entries() { vsctl --format json dpif/offload-show | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["entries"]))'; }
# out_of IN_PORT MAC: the egress port of the entry (IN_PORT, MAC), empty when none.
out_of() {
  vsctl --format json dpif/offload-show | python3 -c '
import json, sys
for e in json.load(sys.stdin)["entries"]:
    if e["in_port"] == sys.argv[1] and e["mac"] == sys.argv[2]: print(e["out_port"])' "$@"
}
has_entries() { [ "$(entries)" -gt 0 ]; }
out_is() { [ "$(out_of "$1" "$2")" = "$3" ]; }  # out_is IN_PORT MAC OUT_PORT
carried() {  # packets the kernel carried, in all, and by entries that push and that pop a tag
  vsctl --format json dpif/offload-show | python3 -c '
import json, sys
e = json.load(sys.stdin)["entries"]
print(sum(x["packets"] for x in e),
      sum(x["packets"] for x in e if x["action"].startswith("push")),
      sum(x["packets"] for x in e if x["action"] == "pop_vlan"))'
}

ip netns add ${P}h && H ip link set lo up || fail "host namespace"
H sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
start_daemon
vsctl add-br bro || fail "add-br"
i=0
for n in $NAMES; do  # station n: MAC 02:00:00:00:00:<i+1>, host end h$n
  i=$((i + 1))
  ip netns add $P$n || fail "namespace $n"
  ip netns exec $P$n sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
  ip link add h$n netns ${P}h type veth peer name eth0 address 02:00:00:00:00:0$i netns $P$n || fail "veth $n"
  ip -n $P$n link set eth0 up && H ip link set h$n up || fail "link $n"
done
vsctl add-port bro ha1 tag=10 -- add-port bro ha2 tag=10 -- add-port bro ht1 -- add-port bro hnt \
  -- add-port bro hnu -- add-port bro ha3 tag=20 \
  -- set port ht1 trunks=10,20 -- set port hnt vlan_mode=native-tagged tag=10 trunks=10,20 \
  -- set port hnu vlan_mode=native-untagged tag=10 trunks=10,20 || fail "ports"
state=$(vsctl --format json dpif/offload-show | python3 -c 'import json,sys; print(json.load(sys.stdin)["kernel_offload"])')
case "$state" in
  on) ;;
  unavailable*) echo "SKIP: kernel offload $state"; exit 77 ;;
  *) fail "kernel-offload is \"$state\"" ;;
esac

# The matrix: every station sends in each of its modes (u: untagged, N: tagged N) to every other.
MATRIX="a1:u,10 a2:u t1:10,20,u nt:u,10,20 nu:u,10,20 a3:u"
run_matrix() {  # run_matrix FILE: learn, let the sync install what it will, run the cases
  vsctl fdb/flush bro >/dev/null 2>&1
  if [ "$1" = on ]; then  # (the matrix learns first itself)
    $RAW learn $P $MATRIX || fail "learn"
    until_ok 3 has_entries ||
      fail "nothing offloaded: $(vsctl dpif/offload-show)"
    sleep 0.25  # the next sync tick: the entries of the last stations learnt
  fi
  $RAW matrix $P $MATRIX >"$W/$1.json" || fail "matrix ($1)"
}
run_matrix on
read -r n push pop < <(carried)
log "offload on: $(entries) entries; the kernel carried $n frames ($push pushed a tag, $pop popped one)"
[ "$n" -ge 20 ] && [ "$push" -gt 0 ] && [ "$pop" -gt 0 ] || fail "the kernel did not carry the matrix: $(vsctl dpif/offload-show)"
vsctl set Open_vSwitch . other_config:kernel-offload=false || fail "kernel-offload=false"
run_matrix off
[ "$(entries)" = 0 ] || fail "entries with offload off"
vsctl set Open_vSwitch . other_config:kernel-offload=true || fail "kernel-offload=true"
frames=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))))' "$W/off.json")
log "offload off: $frames frames arrived"
[ "$frames" -ge 60 ] || fail "too few frames arrived through userspace ($frames)"
diff "$W/off.json" "$W/on.json" >"$W/diff" || fail "offload on and off differ (< off, > on):
$(head -20 "$W/diff")"

# A move between offloaded ports: stations a1 (A), mb (B, where A's MAC goes), a2 (C); VLAN 10.
vsctl del-port bro hnt -- del-port bro hnu -- del-port bro ht1 -- del-port bro ha3 -- add-port bro hmb tag=10 || fail "move ports"
MA=02:00:00:00:00:01
A=a1 B=mb C=a2
# rawframes numbers the stations of one call 1, 2, 3: a1, mb, a2 are 01, 02, 03 for it, so the
# MACs are set to match.
ip -n ${P}mb link set eth0 address 02:00:00:00:00:02 && ip -n ${P}a2 link set eth0 address 02:00:00:00:00:03
vsctl fdb/flush bro >/dev/null 2>&1
$RAW learn $P a1:u mb:u a2:u || fail "learn (move)"
until_ok 3 out_is ha2 $MA ha1 ||
  fail "no entry a2 -> a1: $(vsctl dpif/offload-show)"
kill -STOP "$(cat "$W/d.pid")"
out=$($RAW stopped-move $P $A $B $C)
kill -CONT "$(cat "$W/d.pid")"
log "switch stopped: C->A before the move reached $(echo "$out" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["before"], "after:", d["after"])')"
echo "$out" | python3 -c 'import json,sys; d=json.load(sys.stdin); sys.exit(d["before"] != ["a1"])' ||
  fail "the kernel did not carry C->A while the switch was stopped: $out"
echo "$out" | python3 -c 'import json,sys; d=json.load(sys.stdin); sys.exit("a1" in d["after"])' ||
  fail "the kernel still steered to the old port after the moved MAC's first frame: $out"
# The switch learns the move from that frame unless the FDB's writer lock was busy (a learn
# never waits for it: switch/fdb.hpp): A (01, mb's first station) says again from mb that it is
# there until the entry follows.
moved_to_mb() { $RAW learn $P mb:u && out_is ha2 $MA hmb; }
until_ok 3 moved_to_mb ||
  fail "the entry a2 -> A was not re-steered to hmb: $(vsctl dpif/offload-show)"

# A move onto a port the kernel does not serve (rate-limited): withdrawn at once. Stations:
# A back on a1, T = mt, C = a2.
vsctl add-port bro hmt tag=10 -- set interface hmt ingress_policing_rate=1000000 || fail "hmt"
ip -n ${P}mt link set eth0 address 02:00:00:00:00:02
ip -n ${P}mb link set eth0 down
worst=0
for trial in 1 2 3; do
  $RAW learn $P a1:u mt:u a2:u || fail "learn (leak)"
  until_ok 3 out_is ha2 $MA ha1 ||
    fail "no entry a2 -> a1 (trial $trial): $(vsctl dpif/offload-show)"
  n=$($RAW leak $P a1 mt a2) || fail "leak"
  log "move to a port not offloaded, trial $trial: $n of 60 frames (1 ms apart) still went to the old port"
  [ "$n" -gt "$worst" ] && worst=$n
done
[ "$worst" -le 15 ] || fail "the entries to the moved MAC stayed up to $worst ms (not withdrawn at once)"
log "PASS"
