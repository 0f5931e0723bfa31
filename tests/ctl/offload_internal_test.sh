#!/usr/bin/env bash
# Integration test of kernel offload through the veth internal port (options:device=veth; root):
# one namespaced host running vswitchd, bridge bri whose host interface (10.97.0.1) is a veth
# pair, one container attached by vsattach. With offload on, the kernel carries TCP both ways
# (container -> host with bpf_redirect out of the switch end, host -> container with
# bpf_redirect_peer from the switch end's ingress; offload-show counts the frames, GSO frames
# whole) and a file sent each way arrives byte for byte as with offload off; counters equal
# frames sent (offload-show and port statistics); the host's broadcasts reach the switch and the
# container once and never come back to the host (no echo); the tap internal port stays in
# userspace; after kill -9 the restarted daemon offloads again; del-br and a stop leave nothing.
#
#   offload_internal_test.sh BUILD_DIR     exit 0 pass, 1 fail, 77 skipped (not root, no BPF)
set -u
export PATH=/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C
BUILD=$1
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
for t in python3 bpftool tc sha256sum; do command -v $t >/dev/null || { echo "SKIP: no $t"; exit 77; }; done
P=loi$(($$ % 100000))
W=$(mktemp -d /tmp/lvs-offload-int.XXXXXX)
NETNS="c1 h"
# shellcheck source=../support/vswitchd_env.sh
. "$(dirname "$0")/../support/vswitchd_env.sh" || exit 1
stat() { vsctl get interface "$1" statistics:"$2" | tr -d '"'; }
C() { ip netns exec ${P}c1 "$@"; }
ping_ok() { "$1" ping -q -c ${3:-1} -i 0.02 -W 1 "$2" >/dev/null; }
sw_end() { H ip -o link show | sed -n 's/^[0-9]*: \(lvi[0-9a-f]*\)@bri.*/\1/p'; }
our_filter() { H tc filter show dev "$1" ingress 2>/dev/null | grep -q lvs_tc_ingress; }
prog_ids() { H tc filter show dev "$1" ingress 2>/dev/null | sed -n 's/.* id \([0-9]*\).*/\1/p'; }
# send FROM TO TO_IP NAME: $W/src over TCP from namespace FROM to a receiver in TO; $W/NAME.
send() {
  ip netns exec "$2" timeout 20 python3 -c '
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], 5201)); s.listen(1); open(sys.argv[3], "w").close()
c, _ = s.accept()
with open(sys.argv[2], "wb") as f:
    while True:
        b = c.recv(1 << 16)
        if not b: break
        f.write(b)' "$3" "$W/$4" "$W/$4.ready" &
  local rx=$!
  until_ok 3 test -f "$W/$4.ready" || fail "receiver in $2"
  sleep 0.05
  ip netns exec "$1" timeout 20 python3 -c '
import socket, sys
s = socket.create_connection((sys.argv[1], 5201), timeout=10)
s.sendall(open(sys.argv[2], "rb").read()); s.close()' "$3" "$W/src" || fail "send $1 -> $3"
  wait $rx || fail "receive in $2"
}
same() { [ "$(sha256sum <"$W/src")" = "$(sha256sum <"$W/$1")" ] || fail "$1 differs from what was sent"; }

ip netns add ${P}h && H ip link set lo up || fail "host setup"
H sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
start_daemon
vsctl add-br bri -- set interface bri options:ip=10.97.0.1/24 options:device=veth ||
  fail "add-br bri (device=veth)"
vsctl add-br brtap -- set interface brtap options:ip=10.97.1.1/24 options:device=tap ||
  fail "add-br brtap (device=tap)"
ip netns add ${P}c1 && C ip link set lo up || fail "container"
C sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
H "$BUILD/ctl/vsattach" --socket "$W/sock" bri ${P}c1 10.97.0.2/24 >"$W/a1" || fail "vsattach"
PORT1=$(sed 's/.* as port \([^ ,]*\).*/\1/' "$W/a1")
HM=$(H cat /sys/class/net/bri/address) M1=$(C cat /sys/class/net/eth0/address) LVI=$(sw_end)
state=$(vsctl --format json dpif/offload-show | python3 -c 'import json,sys; print(json.load(sys.stdin)["kernel_offload"])')
case "$state" in
  on) ;;
  unavailable*) echo "SKIP: kernel offload $state"; exit 77 ;;
  *) fail "kernel-offload is \"$state\" by default" ;;
esac
log "container port $PORT1 ($M1), host bri ($HM), switch end $LVI"
our_filter "$LVI" || fail "no filter on the switch end $LVI: $(vsctl dpif/offload-show)"
served=" $(vsctl --format json dpif/offload-show | python3 -c 'import json,sys; print(" ".join(json.load(sys.stdin)["ports"]))') "
[[ "$served" != *" brtap "* ]] || fail "the kernel serves the tap internal port brtap"
[[ "$served" == *" bri "* && "$served" == *" $PORT1 "* ]] ||
  fail "the kernel serves \"$served\", not bri and $PORT1"
head -c 8000000 /dev/urandom >"$W/src"

until_ok 5 ping_ok C 10.97.0.1 || fail "ping container -> host"
until_ok 3 ping_ok H 10.97.0.2 || fail "ping host -> container"
until_ok 3 has_entry $PORT1 "$HM" || fail "no entry container -> host: $(vsctl dpif/offload-show)"
until_ok 3 has_entry bri "$M1" || fail "no entry host -> container: $(vsctl dpif/offload-show)"
[ "$(offload out_port $PORT1 "$HM")" = bri ] || fail "container -> host goes to $(offload out_port $PORT1 "$HM")"

# TCP both ways, carried by the kernel (GSO frames whole), byte for byte.
up0=$(offload packets $PORT1 "$HM") dn0=$(offload packets bri "$M1")
send ${P}c1 ${P}h 10.97.0.1 up.on
send ${P}h ${P}c1 10.97.0.2 down.on
same up.on
same down.on
sleep 0.25  # a sync period: the counters read back
up=$(offload packets $PORT1 "$HM") upb=$(offload bytes $PORT1 "$HM")
dn=$(offload packets bri "$M1") dnb=$(offload bytes bri "$M1")
log "offload on: container -> host $((up - up0)) frames ($((upb / up)) B avg), host -> container $((dn - dn0)) ($((dnb / dn)) B avg)"
[ $((up - up0)) -gt 100 ] || fail "TCP container -> host not carried by the kernel ($((up - up0)) frames)"
[ $((dn - dn0)) -gt 100 ] || fail "TCP host -> container not carried by the kernel ($((dn - dn0)) frames)"
[ $((upb / up)) -gt 1600 ] || fail "GSO frames split container -> host ($((upb / up)) B)"
[ $((dnb / dn)) -gt 1600 ] || fail "GSO frames split host -> container ($((dnb / dn)) B)"

# Counters equal frames sent: 50 pings, the requests and replies carried by the kernel.
o0=$(offload packets $PORT1 "$HM") r0=$(offload packets bri "$M1")
rx0=$(stat $PORT1 rx_packets) tx0=$(stat bri tx_packets) brx0=$(stat bri rx_packets)
ping_ok C 10.97.0.1 50 || fail "50 pings"
sleep 0.25
o1=$(offload packets $PORT1 "$HM") r1=$(offload packets bri "$M1")
rx1=$(stat $PORT1 rx_packets) tx1=$(stat bri tx_packets) brx1=$(stat bri rx_packets)
log "50 pings: offload-show +$((o1 - o0)) / +$((r1 - r0)), rx $PORT1 +$((rx1 - rx0)), tx bri +$((tx1 - tx0)), rx bri +$((brx1 - brx0))"
[ $((o1 - o0)) = 50 ] && [ $((r1 - r0)) = 50 ] || fail "offload-show counted $((o1 - o0)) / $((r1 - r0)) of 50"
[ $((rx1 - rx0)) = 50 ] && [ $((tx1 - tx0)) = 50 ] && [ $((brx1 - brx0)) = 50 ] ||
  fail "port statistics grew by $((rx1 - rx0)) / $((tx1 - tx0)) / $((brx1 - brx0)), not 50"

# Broadcasts: the host's reach the switch and the container once and never come back to the
# host; the container's reach the host once and the switch does not read them back from its
# switch end (it sent them there).
bcast() {  # bcast NS_CMD IF MAC N: N broadcast frames (EtherType 0x88b5) out of IF
  $1 python3 -c '
import socket, sys
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW); s.bind((sys.argv[1], 0))
src = bytes.fromhex(sys.argv[2].replace(":", ""))
for i in range(int(sys.argv[3])): s.send(b"\xff" * 6 + src + b"\x88\xb5" + bytes(50))' "$2" "$3" "$4"
}
counts() {  # host end rx, container rx, the switch's rx on bri and on the container's port
  echo "$(H cat /sys/class/net/bri/statistics/rx_packets) $(C cat /sys/class/net/eth0/statistics/rx_packets)" \
    "$(stat bri rx_packets) $(stat $PORT1 rx_packets)"
}
set -- $(counts)
bcast H bri "$HM" 20 || fail "broadcasts from the host"
sleep 0.3
set -- $(($(counts | cut -d' ' -f1) - $1)) $(($(counts | cut -d' ' -f2) - $2)) $(($(counts | cut -d' ' -f3) - $3))
log "20 host broadcasts: switch rx bri +$3, container rx +$2, host end rx +$1"
[ "$3" = 20 ] || fail "the switch read $3 of the host's 20 broadcasts"
[ "$2" = 20 ] || fail "the container got $2 of the host's 20 broadcasts"
[ "$1" = 0 ] || fail "$1 of the host's broadcasts came back to it"
set -- $(counts)
bcast C eth0 "$M1" 20 || fail "broadcasts from the container"
sleep 0.3
set -- $(($(counts | cut -d' ' -f1) - $1)) $(($(counts | cut -d' ' -f3) - $3)) $(($(counts | cut -d' ' -f4) - $4))
log "20 container broadcasts: host end rx +$1, switch rx bri +$2, rx $PORT1 +$3"
[ "$1" = 20 ] || fail "the host got $1 of the container's 20 broadcasts"
[ "$2" = 0 ] || fail "the switch read $2 of the container's broadcasts back from the switch end"
[ "$3" = 20 ] || fail "the switch read $3 of the container's 20 broadcasts"

# Off: the same bytes through userspace, no filter on the switch end.
vsctl set Open_vSwitch . other_config:kernel-offload=false || fail "kernel-offload=false"
! our_filter "$LVI" || fail "offload off left the filter on $LVI"
send ${P}c1 ${P}h 10.97.0.1 up.off
send ${P}h ${P}c1 10.97.0.2 down.off
same up.off
same down.off
vsctl set Open_vSwitch . other_config:kernel-offload=true || fail "kernel-offload=true"
ping_ok C 10.97.0.1 3
until_ok 3 has_entry $PORT1 "$HM" || fail "offload did not come back"

# kill -9: the pair is made anew by the restarted daemon, which offloads again.
stale=$(prog_ids "$LVI")
stop_daemon -9
start_daemon
until_ok 5 ping_ok C 10.97.0.1 || fail "ping after restart"
until_ok 3 ping_ok H 10.97.0.2 || fail "ping host -> container after restart"
until_ok 3 has_entry $PORT1 "$HM" || fail "entries not re-installed after restart"
LVI=$(sw_end)
for id in $stale; do until_ok 3 sh -c "! bpftool prog show id $id" || fail "stale program $id still loaded"; done

# del-br and a clean stop: nothing of ours stays.
ids="$(prog_ids "$LVI") $(prog_ids $PORT1)"
vsctl del-br bri || fail "del-br"
! our_filter $PORT1 || fail "del-br left the filter on $PORT1"
H ip link show dev "$LVI" >/dev/null 2>&1 && fail "del-br left the switch end $LVI"
stop_daemon
for id in $ids; do ! bpftool prog show id $id >/dev/null 2>&1 || fail "program $id left loaded"; done
log "PASS"
