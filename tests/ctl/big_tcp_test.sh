#!/usr/bin/env bash
# Integration test of BIG TCP on containers' veths (ports/big_tcp.hpp, ctl/big_tcp_sync.hpp;
# root): the daemon gives both ends of a system port's veth gso_ipv4_max_size and (IPv6)
# gso_max_size 196608 (the host namespace has no default route; bridge brt no tunnel). With the
# kernel offload on, the kernel carries TCP between two containers, over IPv4 and IPv6, in
# frames over 64 KiB (dpif/offload-show bytes per frame). With it off, the system ports receive
# those frames whole and cut them into 64 KiB pieces (ports/gso_split.hpp; IPv6 ones without
# their jumbo header): a 48 MiB TCP transfer each way and family arrives byte for byte
# (SHA-256), frames over 64 KiB leave c1 and none reaches c2. A VXLAN port on the bridge or
# other_config:big-tcp=false puts both ends back to 65536 (TCP still flows); a default route by
# a device without TSO over 64 KiB does for its family only; an afxdp-kind container end gets
# no BIG TCP.
#
#   big_tcp_test.sh BUILD_DIR     exit 0 pass, 1 fail, 77 skipped (not root, kernel before 6.3)
set -u
export PATH=/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C
BUILD=$1
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
for t in iperf3 python3 tcpdump; do command -v $t >/dev/null || { echo "SKIP: no $t"; exit 77; }; done
P=lbt$(($$ % 100000))
W=$(mktemp -d /tmp/lvs-bigtcp.XXXXXX)
NETNS="c1 c2 h"
# shellcheck source=../support/vswitchd_env.sh
. "$(dirname "$0")/../support/vswitchd_env.sh" || exit 1

# gso_ipv4_max_size (IFLA 63; iproute2 6.1 does not show it), or with a third argument 41 the
# IPv6 one (gso_max_size), of interface $2 in namespace $1.
gso_ipv4() {
  ip netns exec "$1" python3 - "$2" "${3:-63}" <<'PY'
import socket, struct, sys
idx = socket.if_nametoindex(sys.argv[1])
want = int(sys.argv[2])
s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 0)
s.send(struct.pack('=IHHII', 32, 18, 1, 1, 0) + struct.pack('=BxHiII', 0, 0, idx, 0, 0))
r = s.recv(65536)
off, end = 32, struct.unpack('=I', r[:4])[0]
while off + 4 <= end:
    ln, ty = struct.unpack('=HH', r[off:off + 4])
    if ty == want:
        print(struct.unpack('=I', r[off + 4:off + 8])[0]); break
    off += (ln + 3) & ~3
else:
    print(0)
PY
}
gso_ipv6() { gso_ipv4 "$1" "$2" 41; }
end_is() { [ "$(gso_ipv4 "$1" eth0)" = "$2" ]; }  # end_is NS SIZE: the container end's
end6_is() { [ "$(gso_ipv6 "$1" eth0)" = "$2" ]; }
# transfer FROM TO_IP: 48 MiB of random bytes over TCP; true when the SHA-256 on both sides match.
transfer() {
  ip netns exec ${P}c$1 python3 - "$2" "$W/sent$1" <<'PY'
import hashlib, os, socket, sys
data = os.urandom(48 << 20)
s = socket.create_connection((sys.argv[1], 5201 + 7), timeout=20)
s.sendall(data)
s.shutdown(socket.SHUT_WR)
got = s.recv(64).decode()
ok = got == hashlib.sha256(data).hexdigest()
print("match" if ok else "MISMATCH " + got)
sys.exit(0 if ok else 1)
PY
}
sink() {  # sink N: a one-shot server in container N (IPv4 and IPv6) answering with the SHA-256 of what it got
  ip netns exec ${P}c$1 python3 -c '
import hashlib, socket
l = socket.socket(socket.AF_INET6); l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
l.bind(("::", 5208)); l.listen(1); l.settimeout(30)
c, _ = l.accept(); c.settimeout(30); h = hashlib.sha256()
while True:
    b = c.recv(1 << 20)
    if not b: break
    h.update(b)
c.sendall(h.hexdigest().encode()); c.close()' &
  sleep 0.3
}

ip netns add ${P}h && H ip link set lo up || fail "host setup"
start_daemon
attach() {  # attach N IP [vsattach options...]
  local n=$1
  shift
  ip netns add ${P}c$n && ip -n ${P}c$n link set lo up || fail "container $n"
  H "$BUILD/ctl/vsattach" --socket "$W/sock" brt ${P}c$n "$@" >"$W/a$n" || fail "vsattach $n: $(cat "$W/a$n")"
  eval PORT$n="$(sed 's/.* as port \([^ ]*\).*/\1/' "$W/a$n")"
  ip -n ${P}c$n addr add fd00:95::$n/64 dev eth0 nodad || fail "IPv6 address $n"
}
attach 1 10.95.0.1/24
attach 2 10.95.0.2/24
size=$(gso_ipv4 ${P}c1 eth0)
[ "$size" = 0 ] && { echo "SKIP: this kernel has no gso_ipv4_max_size (before 6.3)"; exit 77; }
[ "$size" = 196608 ] || fail "container end gso_ipv4_max_size $size, not 196608"
[ "$(gso_ipv4 ${P}h "$PORT1")" = 196608 ] || fail "host end $PORT1 without BIG TCP"
[ "$(gso_ipv6 ${P}c1 eth0)" = 196608 ] || fail "container end gso_max_size $(gso_ipv6 ${P}c1 eth0), not 196608"
[ "$(gso_ipv6 ${P}h "$PORT1")" = 196608 ] || fail "host end $PORT1 without IPv6 BIG TCP"

ip netns exec ${P}c2 iperf3 -s -D --pidfile "$W/iperf2.pid" || fail "iperf3 -s"
until_ok 5 ip netns exec ${P}c1 ping -q -c 1 -W 1 10.95.0.2 || fail "ping c1 -> c2"
state=$(vsctl --format json dpif/offload-show | python3 -c 'import json,sys; print(json.load(sys.stdin)["kernel_offload"])')
if [ "$state" = on ]; then
  until_ok 3 has_entry "$PORT1" "$(ip netns exec ${P}c2 cat /sys/class/net/eth0/address)" ||
    fail "no offload entry c1 -> c2"
  ip netns exec ${P}c1 iperf3 -c 10.95.0.2 -t 2 >/dev/null || fail "iperf3 with offload"
  M2=$(ip netns exec ${P}c2 cat /sys/class/net/eth0/address)
  n=$(offload packets "$PORT1" "$M2") b=$(offload bytes "$PORT1" "$M2")
  [ "$n" -gt 100 ] || fail "the kernel carried $n frames c1 -> c2"
  log "offloaded c1 -> c2: $n frames, $((b / n)) bytes each on average"
  [ $((b / n)) -gt 65536 ] || fail "no frame over 64 KiB through the kernel ($((b / n)) bytes on average)"
  until_ok 3 ip netns exec ${P}c1 ping -6 -q -c 1 -W 1 fd00:95::2 || fail "ping -6 c1 -> c2"
  ip netns exec ${P}c1 iperf3 -6 -c fd00:95::2 -t 1 >/dev/null || fail "iperf3 -6 with offload"
  n6=$(($(offload packets "$PORT1" "$M2") - n)) b6=$(($(offload bytes "$PORT1" "$M2") - b))
  [ "$n6" -gt 100 ] || fail "the kernel carried $n6 IPv6 frames c1 -> c2"
  log "offloaded c1 -> c2 over IPv6: $n6 frames, $((b6 / n6)) bytes each on average"
  [ $((b6 / n6)) -gt 65536 ] || fail "no IPv6 frame over 64 KiB through the kernel ($((b6 / n6)) bytes on average)"
else
  log "kernel offload $state: its half is not checked"
fi

vsctl set Open_vSwitch . other_config:kernel-offload=false || fail "kernel-offload=false"
# Frame lengths the switch receives from c1 (its host end's ingress) and c2 receives from the
# switch (c2's eth0; the switch's own sends bypass the taps of the host end). IPv6: "ip6", as
# "tcp" does not match a frame whose next header is the jumbo hop-by-hop one.
cap() { ip netns exec "$1" timeout 8 tcpdump -i eth0 -Q "$2" -nn -e -c 400 "$3" 2>/dev/null |
          sed -n 's/.* length \([0-9]*\): .*/\1/p' | sort -n | tail -1 >"$W/max_$1_$2"; }
for fam in 4 6; do
  [ $fam = 4 ] && { filter="ip and tcp" ip=10.95.0.; } || { filter="ip6 and not icmp6" ip=fd00:95::; }
  cap ${P}c1 out "$filter" & cap ${P}c2 in "$filter" &
  sleep 1
  for pair in "1 2" "2 1"; do
    set -- $pair
    sink $2
    r=$(transfer $1 $ip$2) || fail "48 MiB c$1 -> c$2 over IPv$fam through the switch's own path: $r"
    log "48 MiB c$1 -> c$2 over IPv$fam, offload off: $r"
  done
  wait
  in=$(cat "$W/max_${P}c1_out") out=$(cat "$W/max_${P}c2_in")
  log "IPv$fam: largest frame from c1: ${in:-none} bytes; largest to c2: ${out:-none} bytes"
  [ "${in:-0}" -gt 65558 ] || fail "c1 sent no IPv$fam frame over 64 KiB"
  [ "${out:-99999}" -le 65558 ] || fail "the switch sent c2 an IPv$fam frame over 64 KiB: not cut"
done
for p in "$PORT1" "$PORT2"; do  # a big frame the port could not cut is dropped as malformed
  d=$(vsctl get interface "$p" statistics:drop_malformed) || fail "statistics of $p"
  [ "$d" = 0 ] || fail "port $p dropped $d frames as malformed"
done
ip netns exec ${P}c1 iperf3 -c 10.95.0.2 -t 1 -J >"$W/i.json" || fail "iperf3, offload off"
log "TCP c1 -> c2, offload off: $(python3 -c 'import json,sys; print("%.0f" % (json.load(open(sys.argv[1]))["end"]["sum_received"]["bits_per_second"]/1e6))' "$W/i.json") Mbit/s"
retr=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["end"]["sum_sent"]["retransmits"])' "$W/i.json")
log "retransmits: $retr"

# A tunnel on the bridge: the kernel would cut big frames before encapsulating them.
vsctl add-port brt vxt -- set interface vxt type=vxlan options:remote_ip=10.94.0.9 options:key=5 ||
  fail "add vxlan port"
[ "$(gso_ipv4 ${P}c1 eth0)" = 65536 ] || fail "c1's end kept BIG TCP beside a tunnel"
[ "$(gso_ipv4 ${P}h "$PORT1")" = 65536 ] || fail "host end $PORT1 kept BIG TCP beside a tunnel"
[ "$(gso_ipv6 ${P}c1 eth0)" = 65536 ] || fail "c1's end kept IPv6 BIG TCP beside a tunnel"
[ "$(gso_ipv6 ${P}h "$PORT1")" = 65536 ] || fail "host end $PORT1 kept IPv6 BIG TCP beside a tunnel"
ip netns exec ${P}c1 iperf3 -c 10.95.0.2 -t 1 >/dev/null || fail "iperf3 after BIG TCP went off"
vsctl del-port brt vxt || fail "del vxlan port"
[ "$(gso_ipv4 ${P}c2 eth0)" = 196608 ] || fail "c2's end did not get BIG TCP back"
[ "$(gso_ipv6 ${P}c2 eth0)" = 196608 ] || fail "c2's end did not get IPv6 BIG TCP back"
# A default route by a device without TSO over 64 KiB (a tap: 65536) comes up after the
# daemon: within the daemon's second, BIG TCP goes; with the route gone it comes back.
H ip tuntap add lbtap mode tap && H ip link set lbtap up && H ip addr add 10.93.9.1/24 dev lbtap ||
  fail "tap uplink"
H ip route add default via 10.93.9.2 dev lbtap onlink || fail "default route by the tap"
until_ok 4 end_is ${P}c2 65536 || fail "c2's end kept BIG TCP with a tap uplink"
grep -q "BIG TCP off for IPv4: the IPv4 default route leaves by lbtap" "$W/d.log" || fail "no log line naming lbtap"
end6_is ${P}c2 196608 || fail "an IPv4 default route by the tap put IPv6 BIG TCP off"
H ip route del default || fail "del default route"
until_ok 4 end_is ${P}c2 196608 || fail "c2's end did not get BIG TCP back"
# The same for IPv6, which leaves IPv4 alone.
H ip addr add fd00:93::1/64 dev lbtap nodad && H ip -6 route add default via fd00:93::2 dev lbtap ||
  fail "IPv6 default route by the tap"
until_ok 4 end6_is ${P}c2 65536 || fail "c2's end kept IPv6 BIG TCP with a tap uplink"
end_is ${P}c2 196608 || fail "an IPv6 default route by the tap put IPv4 BIG TCP off"
grep -q "BIG TCP off for IPv6: the IPv6 default route leaves by lbtap" "$W/d.log" || fail "no IPv6 log line naming lbtap"
H ip -6 route del default || fail "del IPv6 default route"
until_ok 4 end6_is ${P}c2 196608 || fail "c2's end did not get IPv6 BIG TCP back"
vsctl set Open_vSwitch . other_config:big-tcp=false || fail "big-tcp=false"
[ "$(gso_ipv4 ${P}c2 eth0)" = 65536 ] || fail "big-tcp=false left c2's end at $(gso_ipv4 ${P}c2 eth0)"
end6_is ${P}c2 65536 || fail "big-tcp=false left c2's end's gso_max_size at $(gso_ipv6 ${P}c2 eth0)"
vsctl set Open_vSwitch . other_config:big-tcp=maybe 2>"$W/e" && fail "big-tcp=maybe accepted"
grep -q "big-tcp" "$W/e" || fail "the error does not name big-tcp: $(cat "$W/e")"
vsctl remove Open_vSwitch . other_config big-tcp || fail "remove big-tcp"

# afxdp: the container end sends complete frames; no BIG TCP there.
ip netns add ${P}c3 2>/dev/null; NETNS="$NETNS c3"
ip -n ${P}c3 link set lo up
if H "$BUILD/ctl/vsattach" --socket "$W/sock" brt ${P}c3 10.95.0.3/24 --port-type afxdp >"$W/a3" 2>&1; then
  [ "$(gso_ipv4 ${P}c3 eth0)" = 65536 ] && end6_is ${P}c3 65536 || fail "afxdp container end has BIG TCP"
else
  log "afxdp attach refused here ($(head -1 "$W/a3")): not checked"
fi
stop_daemon
log "PASS"
