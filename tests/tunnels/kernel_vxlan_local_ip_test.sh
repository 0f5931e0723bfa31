#!/usr/bin/env bash
# options:local_ip on the kernel vxlan device (tunnels/bpf/kernel_vxlan.bpf.c; root), as in OVS: a
# port with local_ip receives only packets to that address, one without is the wildcard beside it.
# The host (vswitchd, one container by vsattach) has two underlay addresses L1 on uh1 and L2 on
# uh2; behind each a Linux host (k1, k2: Linux bridge + kernel VXLAN, VNI 100) with the same
# remote address R, k1 sending to L1 and k2 to L2 (the host's routes: R by uh2, from L1 by uh1).
# Ports with remote_ip R and key 100: vxa local_ip L1 and vxc without local_ip: k1's replies
# arrive on vxa alone, k2's on vxc alone; vxb local_ip L2 added: k2's move to vxb (exact wins
# over the wildcard); the same (remote, local, key) again is refused naming the port that has
# it; vxb deleted: k2's back on vxc; vxa deleted: R's packets with another key count as vxc's
# drop_no_tunnel. FAMILY 6: the same over an IPv6 underlay. PATH_KIND sockets: the same on the
# UDP-socket underlay (other_config:kernel-tunnels=false, tunnels/tunnel_receiver.hpp: one
# socket on *:4789 for every local_ip, the local address from IP_PKTINFO / IPV6_PKTINFO).
#
#   kernel_vxlan_local_ip_test.sh BUILD_DIR [4|6] [device|sockets]   exit 0 pass, 1 fail, 77 skip
set -u
export PATH=/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C
BUILD=$1 FAMILY=${2:-4} PATH_KIND=${3:-device}
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
P=lkl$(($$ % 100000))
W=$(mktemp -d /tmp/lvs-kvxlocal.XXXXXX)
NETNS="c1 k1 k2 h"
# shellcheck source=../support/vswitchd_env.sh
. "$(dirname "$0")/../support/vswitchd_env.sh" || exit 1
stat() { vsctl get interface "$1" statistics:rx_packets | tr -d '"'; }
ping_ok() { ip netns exec ${P}c1 ping -q -c ${2:-1} -i 0.02 -W 1 "$1" >/dev/null; }
if [ "$FAMILY" = 6 ]; then
  R=fd93::2 L1=fd93:1::1 L2=fd93:2::1 PL=128 IP="ip -6" NODAD=nodad
else
  R=10.93.0.2 L1=10.93.1.1 L2=10.93.2.1 PL=32 IP=ip NODAD=
fi

ip netns add ${P}h && H ip link set lo up || fail "host setup"
for n in 1 2; do
  k=${P}k$n
  eval "L=\$L$n"
  ip netns add $k && ip -n $k link set lo up || fail "peer $n"
  ip link add uh$n netns ${P}h type veth peer name uk$n netns $k || fail "veth $n"
  H ip addr add "$L/$PL" dev uh$n $NODAD && ip -n $k addr add "$R/$PL" dev uk$n $NODAD || fail "addr $n"
  H ip link set uh$n up && ip -n $k link set uk$n up
  $IP -n $k route add "$L" dev uk$n || fail "route $n"
  ip -n $k link add kbr type bridge && ip -n $k link set kbr up
  ip -n $k link add vx type vxlan id 100 remote "$L" local "$R" dstport 4789 || fail "kernel vxlan $n"
  ip -n $k link set vx master kbr mtu 1400 && ip -n $k link set vx up
  ip -n $k addr add 10.92.0.1$n/24 dev kbr
  # (no IPv6 on the overlay: its router solicitations would blur the counts)
  ip netns exec $k sysctl -qw net.ipv6.conf.kbr.disable_ipv6=1 net.ipv6.conf.vx.disable_ipv6=1
done
# R by uh2 (a port without local_ip leaves from L2), but by uh1 from L1.
$IP -n ${P}h route add "$R" dev uh2 src "$L2" &&
  $IP -n ${P}h rule add from "$L1" lookup 193 &&
  $IP -n ${P}h route add "$R" dev uh1 src "$L1" table 193 || fail "host routes"
start_daemon
if [ "$PATH_KIND" = sockets ]; then
  vsctl set Open_vSwitch . other_config:kernel-tunnels=false || fail "kernel-tunnels=false"
fi
ip netns add ${P}c1 && ip -n ${P}c1 link set lo up || fail "container"
H "$BUILD/ctl/vsattach" --socket "$W/sock" br0 ${P}c1 10.92.0.1/24 >"$W/a1" || fail "vsattach"
vx() {  # vx NAME [LOCAL]: a vxlan port to R with key 100 (and local_ip LOCAL)
  vsctl add-port br0 "$1" -- set interface "$1" type=vxlan options:remote_ip=$R options:key=100 \
    ${2:+options:local_ip=$2}
}
vx vxa "$L1" || fail "vxa"
vx vxc || fail "vxc"
if [ "$PATH_KIND" = sockets ]; then  # on sockets, not the device (nor a bind error)
  H ip link show lvx4789 >/dev/null 2>&1 && fail "lvx4789 made with kernel-tunnels=false"
  for p in vxa vxc; do
    err=$(vsctl get interface $p error)
    case $err in *[a-z]*) fail "$p: $err" ;; esac
  done
fi
# on PEER RIGHT WRONG: pings to peer PEER's bridge arrive on port RIGHT, none on WRONG.
on() {
  until_ok 5 ping_ok 10.92.0.1$1 || fail "no ping to k$1"
  local r w
  r=$(stat "$2") w=$(stat "$3")
  ping_ok 10.92.0.1$1 20 || fail "pings to k$1 lost"
  r=$(($(stat "$2") - r)) w=$(($(stat "$3") - w))
  log "k$1's replies: $2 $r, $3 $w"
  [ "$r" -ge 20 ] && [ "$w" -lt 3 ] || fail "k$1's frames not on $2 alone ($2 $r, $3 $w)"
}
fdb_port() {  # fdb_port PEER: the switch port k PEER's bridge MAC is learnt on
  local mac
  mac=$(ip -n ${P}k$1 -br link show kbr | awk '{print $3}')
  vsctl fdb/show br0 | grep -i "$mac" | awk '{print $1}'
}
on 1 vxa vxc
on 2 vxc vxa
[ "$(fdb_port 2)" = vxc ] || fail "k2 learnt on $(fdb_port 2), not vxc: $(vsctl fdb/show br0)"

vx vxb "$L2" || fail "vxb beside the wildcard vxc"
on 2 vxb vxc
on 1 vxa vxb
[ "$(fdb_port 2)" = vxb ] || fail "k2 learnt on $(fdb_port 2), not vxb: $(vsctl fdb/show br0)"
# Refused as OVS does: the port stays in the database, not open, with the error on its interface.
vx vxd "$L1" && vx vxe || fail "add-port vxd / vxe"
err=$(vsctl get interface vxd error)
log "vxd: $err"
case $err in *"port vxa already receives remote_ip $R, local_ip $L1, key 100"*) ;;
  *) fail "vxd (vxa's remote, local and key) not refused naming vxa: $err" ;; esac
err=$(vsctl get interface vxe error)
case $err in *"port vxc already receives remote_ip $R, local_ip *, key 100"*) ;;
  *) fail "vxe (a second port without local_ip) not refused naming vxc: $err" ;; esac
on 1 vxa vxd
vsctl del-port br0 vxd && vsctl del-port br0 vxe || fail "del-port vxd vxe"

vsctl del-port br0 vxb || fail "del-port vxb"
on 2 vxc vxa
on 1 vxa vxc
# R's packets with another key count on a port of R (vxa, its first); with vxa gone, on vxc.
vsctl del-port br0 vxa || fail "del-port vxa"
ip -n ${P}k1 link add vy type vxlan id 777 remote "$L1" local "$R" dstport 4789 &&
  ip -n ${P}k1 addr add 10.91.0.2/24 dev vy && ip -n ${P}k1 link set vy up || fail "vy"
ip netns exec ${P}k1 ping -q -c 3 -i 0.05 -W 1 10.91.0.9 >/dev/null 2>&1
until_ok 3 test "$(vsctl get interface vxc statistics:drop_no_tunnel | tr -d '"')" -ge 3 ||
  fail "vxc drop_no_tunnel $(vsctl get interface vxc statistics:drop_no_tunnel)"
log "PASS"
