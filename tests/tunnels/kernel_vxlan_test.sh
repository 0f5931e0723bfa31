#!/usr/bin/env bash
# VXLAN ports on the kernel's vxlan device (tunnels/kernel_vxlan_port.hpp; root): one namespaced
# host running vswitchd with a container (vsattach) and three VXLAN ports to three Linux hosts
# (Linux bridge + kernel VXLAN, each on its own underlay veth): k1 and k2 with the same VNI 100
# (the mesh case: each port gets its own remote's traffic), k3 over IPv6 (VNI 300).
# Checks: ping to each peer, TCP both ways with TSO super-frames kept whole through the device
# (its average packet above the MTU), the outer TTL / TOS / DF / UDP checksum as the options say
# (defaults, then ttl=33 tos=40 df_default=false csum=true), a packet of an unknown remote counted and one of a known
# remote with another key counted as the port's drop_no_tunnel; kill -9 then restart replaces
# the device; other_config:kernel-tunnels=false reopens the ports on UDP sockets (device gone,
# traffic flows) and true brings them back; del-port of the last VXLAN port and a clean stop
# leave no lvx device, and a start without VXLAN ports removes one a killed daemon left.
#
#   kernel_vxlan_test.sh BUILD_DIR     exit 0 pass, 1 fail, 77 skipped (not root, no tools)
set -u
export PATH=/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C
BUILD=$1
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
for t in iperf3 python3 bpftool tcpdump; do command -v $t >/dev/null || { echo "SKIP: no $t"; exit 77; }; done
P=lkv$(($$ % 100000))
W=$(mktemp -d /tmp/lvs-kvxlan.XXXXXX)
NETNS="c1 k1 k2 k3 h"
# shellcheck source=../support/vswitchd_env.sh
. "$(dirname "$0")/../support/vswitchd_env.sh" || exit 1
stat() { vsctl get interface "$1" statistics:"$2" | tr -d '"'; }
ping_ok() { ip netns exec ${P}c1 ping -q -c ${2:-1} -i 0.02 -W 1 "$1" >/dev/null; }
dev_index() { H cat /sys/class/net/lvx4789/ifindex 2>/dev/null; }
no_device() { ! H ip link show lvx4789 >/dev/null 2>&1; }
tcp() {  # tcp SERVER_IP [-R]: Mbit/s received in 2 s
  ip netns exec ${P}c1 timeout 20 iperf3 -c "$1" -t 2 -J ${2:-} >"$W/iperf.json" ||
    fail "iperf3 $1 $*"
  python3 -c 'import json,sys; print("%.0f" % (json.load(open(sys.argv[1]))["end"]["sum_received"]["bits_per_second"]/1e6))' "$W/iperf.json"
}

ip netns add ${P}h && H ip link set lo up || fail "host setup"
# peer N FAMILY: Linux host k N on underlay veth uhN <-> ukN, bridge kbr 10.97.0.1N/24 with a
# kernel VXLAN (VNI VNI) to the switch host.
peer() {
  local n=$1 vni=$2 v6=$3 k=${P}k$1 a b
  if [ "$v6" = 6 ]; then a=fd98:$n::1 b=fd98:$n::2; else a=10.98.$n.1 b=10.98.$n.2; fi
  ip netns add $k && ip -n $k link set lo up || fail "peer $n"
  ip link add uh$n netns ${P}h type veth peer name uk$n netns $k || fail "veth $n"
  H ip addr add $a/$([ "$v6" = 6 ] && echo 64 || echo 24) dev uh$n nodad 2>/dev/null ||
    H ip addr add $a/24 dev uh$n
  ip -n $k addr add $b/$([ "$v6" = 6 ] && echo 64 || echo 24) dev uk$n nodad 2>/dev/null ||
    ip -n $k addr add $b/24 dev uk$n
  H ip link set uh$n up && ip -n $k link set uk$n up
  ip -n $k link add kbr type bridge && ip -n $k link set kbr up
  ip -n $k link add vx type vxlan id $vni remote $a local $b dstport 4789 || fail "kernel vxlan $n"
  ip -n $k link set vx master kbr mtu 1450 && ip -n $k link set vx up
  ip -n $k addr add 10.97.0.1$n/24 dev kbr
  ip netns exec $k iperf3 -s -D --pidfile "$W/iperf$n.pid" || fail "iperf3 -s $n"
}
peer 1 100 4
peer 2 100 4
peer 3 300 6
start_daemon
ip netns add ${P}c1 && ip -n ${P}c1 link set lo up || fail "container"
H "$BUILD/ctl/vsattach" --socket "$W/sock" br0 ${P}c1 10.97.0.1/24 >"$W/a1" || fail "vsattach"
ip -n ${P}c1 link set eth0 mtu 1400
vsctl add-port br0 vx1 -- set interface vx1 type=vxlan options:remote_ip=10.98.1.2 options:key=100 || fail "vx1"
vsctl add-port br0 vx2 -- set interface vx2 type=vxlan options:remote_ip=10.98.2.2 options:key=100 || fail "vx2"
vsctl add-port br0 vx3 -- set interface vx3 type=vxlan options:remote_ip=fd98:3::2 options:key=300 || fail "vx3"
H ip -d link show lvx4789 | grep -q "vxlan external" || fail "no collect_md device lvx4789"
H tc filter show dev lvx4789 egress | grep -q lvx_egress || fail "no tc egress program"

for n in 1 2 3; do until_ok 5 ping_ok 10.97.0.1$n || fail "no ping to k$n"; done
# The mesh: each port carried its own remote's replies.
for n in 1 2 3; do [ "$(stat vx$n rx_packets)" -gt 0 ] || fail "vx$n received nothing"; done
tx0=$(H cat /sys/class/net/lvx4789/statistics/tx_packets) txb0=$(H cat /sys/class/net/lvx4789/statistics/tx_bytes)
r1=$(stat vx1 rx_packets) r2=$(stat vx2 rx_packets)
up=$(tcp 10.97.0.11) down=$(tcp 10.97.0.11 -R)
# The mesh: k1's TCP arrived on vx1 only, not also on vx2 (same key, other remote).
d1=$(($(stat vx1 rx_packets) - r1)) d2=$(($(stat vx2 rx_packets) - r2))
log "rx during TCP with k1: vx1 $d1, vx2 $d2 frames"
[ "$d1" -gt 1000 ] && [ "$d2" -lt 50 ] || fail "k1's frames not on vx1 alone (vx1 $d1, vx2 $d2)"
up6=$(tcp 10.97.0.13)
log "TCP c1 -> k1 $up Mbit/s, k1 -> c1 $down Mbit/s, c1 -> k3 (IPv6 underlay) $up6 Mbit/s"
for v in "$up" "$down" "$up6"; do [ "$v" -gt 10 ] || fail "TCP did not flow ($v Mbit/s)"; done
tx1=$(H cat /sys/class/net/lvx4789/statistics/tx_packets) txb1=$(H cat /sys/class/net/lvx4789/statistics/tx_bytes)
avg=$(( (txb1 - txb0) / (tx1 - tx0 + 1) ))
log "lvx4789: average frame sent $avg bytes"
[ "$avg" -gt 3000 ] || fail "TSO super-frames were cut before the device (average $avg bytes)"

# Options keep their meaning on the device: the outer header of what vx1 sends, as k1 sees it.
outer() {  # outer FILE: the first VXLAN packet's outer IPv4 and UDP lines (k1's capture)
  ip netns exec ${P}k1 timeout 4 tcpdump -i uk1 -nn -vv -c 1 'udp dst port 4789' 2>/dev/null |
    head -2 >"$1" &
  local t=$!
  sleep 0.5
  ping_ok 10.97.0.11 3
  wait $t
}
outer "$W/o1"
grep -q "ttl 64" "$W/o1" && grep -q "tos 0x0," "$W/o1" && grep -q "flags \[DF\]" "$W/o1" &&
  grep -q "no cksum" "$W/o1" || fail "default outer header: $(cat "$W/o1")"
vsctl set interface vx1 options:ttl=33 options:tos=40 options:df_default=false options:csum=true
until_ok 5 ping_ok 10.97.0.11 || fail "no ping after setting vx1's options"
outer "$W/o2"
# (the same kernel hands k1 the packet with its UDP checksum still pending: "bad udp cksum")
grep -q "ttl 33" "$W/o2" && grep -q "tos 0x28," "$W/o2" && grep -q "flags \[none\]" "$W/o2" &&
  ! grep -q "no cksum" "$W/o2" || fail "outer header with ttl/tos/df/csum set: $(cat "$W/o2")"
log "outer headers: $(head -1 "$W/o1" | cut -c17-70) / $(head -1 "$W/o2" | cut -c17-70)"

# A known remote with another key: vx2's drop_no_tunnel. An unknown remote: the device's count.
ip -n ${P}k2 link add vy type vxlan id 777 remote 10.98.2.1 local 10.98.2.2 dstport 4789
ip -n ${P}k2 addr add 10.99.0.2/24 dev vy && ip -n ${P}k2 link set vy up
ip -n ${P}k1 addr add 10.98.1.3/24 dev uk1
ip -n ${P}k1 link add vz type vxlan id 555 remote 10.98.1.1 local 10.98.1.3 dstport 4789
ip -n ${P}k1 addr add 10.99.1.2/24 dev vz && ip -n ${P}k1 link set vz up
ip netns exec ${P}k2 ping -q -c 3 -i 0.05 -W 1 10.99.0.9 >/dev/null 2>&1
ip netns exec ${P}k1 ping -q -c 3 -i 0.05 -W 1 10.99.1.9 >/dev/null 2>&1
until_ok 3 test "$(stat vx2 drop_no_tunnel)" -ge 3 || fail "vx2 drop_no_tunnel $(stat vx2 drop_no_tunnel)"
unknown=$(H bpftool map dump name lvx_counters -j | python3 -c '
import json, sys
v = json.load(sys.stdin)[0]["value"]
print(v if isinstance(v, int) else int.from_bytes(bytes(int(x, 16) for x in v), "little"))')
[ "$unknown" -ge 3 ] || fail "unknown remote not counted ($unknown)"
log "no_tunnel on vx2 $(stat vx2 drop_no_tunnel), unknown remote $unknown"

# kill -9, then a new daemon replaces the device left behind.
old=$(dev_index)
stop_daemon -KILL
[ -n "$(dev_index)" ] || fail "the device went with the killed daemon (test assumption)"
start_daemon
until_ok 5 ping_ok 10.97.0.11 || fail "no ping after restart"
[ "$(dev_index)" != "$old" ] || fail "stale device adopted as is (ifindex $old)"
[ "$(H ip -d link show | grep -c 'vxlan external')" = 1 ] || fail "more than one lvx device"

# The UDP-socket path, and back.
vsctl set Open_vSwitch . other_config:kernel-tunnels=false || fail "kernel-tunnels=false"
until_ok 3 no_device || fail "lvx4789 stays with kernel-tunnels=false"
until_ok 5 ping_ok 10.97.0.12 || fail "no ping on the socket path"
vsctl set Open_vSwitch . other_config:kernel-tunnels=true || fail "kernel-tunnels=true"
until_ok 5 ping_ok 10.97.0.12 || fail "no ping back on the device"
H ip link show lvx4789 >/dev/null 2>&1 || fail "no device after kernel-tunnels=true"

vsctl del-port br0 vx1 && vsctl del-port br0 vx2 || fail "del-port"
H ip link show lvx4789 >/dev/null 2>&1 || fail "device gone while vx3 remains"
vsctl del-port br0 vx3 || fail "del-port vx3"
no_device || fail "lvx4789 left after the last VXLAN port went"
vsctl add-port br0 vx1 -- set interface vx1 type=vxlan options:remote_ip=10.98.1.2 options:key=100
H ip link show lvx4789 >/dev/null 2>&1 || fail "no device for the re-added port"
stop_daemon -TERM
no_device || fail "lvx4789 left after a clean stop"
# A device a killed daemon left is removed at start when no VXLAN port wants it.
start_daemon
vsctl add-port br0 vx1 -- set interface vx1 type=vxlan options:remote_ip=10.98.1.2 options:key=100
stop_daemon -KILL
H ip link show lvx4789 >/dev/null 2>&1 || fail "the device went with the killed daemon"
rm -f "$W/db.json"
start_daemon
no_device || fail "a stale lvx4789 stays after a start without VXLAN ports"
# (the restart after the first kill -9 logged one too)
[ "$(grep -c "removed 1 vxlan device" "$W/d.log")" = 2 ] || fail "no log line for the stale device"
log "PASS"
