#!/usr/bin/env bash
# Kernel offload container <-> VXLAN on the kernel vxlan device (ports/offload/offload.bpf.c
# lvs_tc_tunnel_ingress, ctl/offload/; root): two namespaced hosts, each a vswitchd with one
# container (vsattach) and a vxlan port to the other, joined by an underlay veth. With offload on
# (the default) the kernel carries the learnt unicast both ways (dpif/offload-show packets on
# both hosts' entries, container -> tunnel and tunnel -> container); a byte-exact 16 MB transfer
# gives the same digest with offload on and off (other_config:kernel-offload=false).
#
#   kernel_vxlan_offload_test.sh BUILD_DIR     exit 0 pass, 1 fail, 77 skipped
set -u
export PATH=/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C
BUILD=$1
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
for t in python3 bpftool; do command -v $t >/dev/null || { echo "SKIP: no $t"; exit 77; }; done
P=lko$(($$ % 100000))
W=$(mktemp -d /tmp/lvs-kvxoff.XXXXXX)
log() { echo "[$(date +%T.%N | cut -c1-12)] $*"; }
vsctl() { local i=$1; shift; ip netns exec ${P}h$i "$BUILD/ctl/vsctl" --socket="$W/sock$i" "$@"; }
cleanup() {
  local i n
  for i in 1 2; do [ -f "$W/d$i.pid" ] && kill "$(cat "$W/d$i.pid")" 2>/dev/null; done
  sleep 0.5
  for n in h1 h2 c1 c2; do
    ip netns pids $P$n 2>/dev/null | xargs -r kill 2>/dev/null
    ip netns del $P$n 2>/dev/null
  done
  rm -rf "$W"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; for i in 1 2; do tail -5 "$W/d$i.log"; done; exit 1; }
ip netns add ${P}h1 && ip netns add ${P}h2 || fail "netns"
ip link add u1 netns ${P}h1 type veth peer name u2 netns ${P}h2 || fail "underlay"
for i in 1 2; do
  ip -n ${P}h$i link set lo up && ip -n ${P}h$i addr add 10.95.0.$i/24 dev u$i && ip -n ${P}h$i link set u$i up
  ip netns exec ${P}h$i "$BUILD/ctl/vswitchd" --db "$W/db$i.json" --socket "$W/sock$i" \
    --pidfile "$W/d$i.pid" --log-file "$W/d$i.log" --detach || fail "vswitchd $i"
  ip netns add ${P}c$i && ip -n ${P}c$i link set lo up
  ip netns exec ${P}h$i "$BUILD/ctl/vsattach" --socket "$W/sock$i" br0 ${P}c$i 10.94.0.$i/24 >"$W/a$i" || fail "vsattach $i"
  ip -n ${P}c$i link set eth0 mtu 1400
  vsctl $i add-port br0 vx -- set interface vx type=vxlan options:remote_ip=10.95.0.$((3 - i)) options:key=9 || fail "vx $i"
done
ip netns exec ${P}c1 ping -q -c 3 -i 0.1 -W 2 10.94.0.2 >/dev/null || fail "no ping"
# transfer: SHA-256 of 16 MB sent c1 -> c2 over TCP, as c2 received it.
cat >"$W/recv.py" <<'PY'
import hashlib, socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("10.94.0.2", 5301)); s.listen(1); c, _ = s.accept(); h = hashlib.sha256()
while True:
    b = c.recv(1 << 16)
    if not b: break
    h.update(b)
print(h.hexdigest())
PY
head -c 16000000 /dev/urandom >"$W/data"
want=$(sha256sum "$W/data" | cut -d' ' -f1)
transfer() {
  ip netns exec ${P}c2 timeout 20 python3 "$W/recv.py" >"$W/got" &
  local r=$!
  sleep 0.4
  ip netns exec ${P}c1 timeout 20 python3 -c '
import socket, sys
s = socket.create_connection(("10.94.0.2", 5301)); s.sendall(open(sys.argv[1], "rb").read()); s.close()' "$W/data" || fail "send"
  wait $r
  cat "$W/got"
}
carried() {  # carried HOST to|from: packets of that host's entries into / out of the tunnel
  vsctl $1 --format json dpif/offload-show | python3 -c '
import json, sys
k = "out_port" if sys.argv[1] == "to" else "in_port"
print(sum(e["packets"] for e in json.load(sys.stdin)["entries"] if e[k] == "vx"))' $2
}
entries() { vsctl $1 --format json dpif/offload-show | python3 -c '
import json, sys
print(" ".join(sorted(e["in_port"] + ">" + e["out_port"] for e in json.load(sys.stdin)["entries"])))'; }
sleep 0.5  # the sync plans every 100 ms
for i in 1 2; do log "host $i offload entries: $(entries $i)"; done
for i in 1 2; do entries $i | grep -q "vx>" && entries $i | grep -q ">vx" || fail "host $i: no tunnel entries"; done
# The data: container -> tunnel on host 1, tunnel -> container on host 2.
b1=$(carried 1 to) b2=$(carried 2 from)
on=$(transfer)
a1=$(carried 1 to) a2=$(carried 2 from)
log "offload on: digest ${on:0:16}, carried by the kernel: host1 c1->vx $((a1 - b1)), host2 vx->c2 $((a2 - b2)) packets"
[ "$on" = "$want" ] || fail "offload on: digest $on, want $want"
[ $((a1 - b1)) -gt 100 ] && [ $((a2 - b2)) -gt 100 ] || fail "the kernel carried little (host1 $((a1 - b1)), host2 $((a2 - b2)))"
for i in 1 2; do vsctl $i set Open_vSwitch . other_config:kernel-offload=false || fail "offload off"; done
off=$(transfer)
log "offload off: digest ${off:0:16}"
[ "$off" = "$want" ] || fail "offload off: digest $off, want $want"
for i in 1 2; do H=${P}h$i; ip netns exec $H ip link show lvx4789 >/dev/null || fail "no device on host $i"; done
log "PASS"
