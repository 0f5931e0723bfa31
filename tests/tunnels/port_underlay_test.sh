#!/usr/bin/env bash
# Integration test of options:underlay=port (root): two namespaced "hosts", each running its own
# vswitchd with the underlay veth ("uplink", no address; a route to the underlay subnet through
# it) as a system port of bridge brp and a tunnel on bridge ovl leaving by it; one container per
# host attached by vsattach. Checks: the container MTU vsattach chose, ping and TCP (iperf3)
# between the containers, the packets on the wire decoded by tcpdump (outer IPv4 header checksum,
# VXLAN VNI / GRE key and protocol, the inner ICMP), and the switch's counters.
#
#   port_underlay_test.sh BUILD_DIR vxlan|gre       exit 0 pass, 1 fail, 77 skipped (not root)
set -u
export PATH=/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C
BUILD=$1 KIND=$2
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
for t in tcpdump iperf3 ping; do command -v $t >/dev/null || { echo "SKIP: no $t"; exit 77; }; done
ID=$(($$ % 100000))
P=lpu$ID
W=$(mktemp -d /tmp/lvs-port-underlay.XXXXXX)
log() { echo "[$(date +%T)] $*"; }
# wait_until SECONDS COMMAND...: polls COMMAND every 50 ms until it succeeds (else returns 1).
wait_until() {
  local n=$(($1 * 20))
  shift
  while ! "$@"; do
    n=$((n - 1))
    [ $n -gt 0 ] || return 1
    sleep 0.05
  done
}

gone() { ! kill -0 "$1" 2>/dev/null; }
cleanup() {
  local i
  for i in 1 2; do
    [ -f "$W/d$i.pid" ] || continue
    pid=$(cat "$W/d$i.pid")
    kill "$pid" 2>/dev/null && wait_until 5 gone "$pid"
  done
  for n in ${P}c1 ${P}c2 ${P}h1 ${P}h2 ${P}w; do
    ip netns pids $n 2>/dev/null | xargs -r kill 2>/dev/null
    ip netns del $n 2>/dev/null
  done
  rm -rf "$W"
}
trap cleanup EXIT
fail() {
  echo "FAIL: $*"
  for f in "$W"/d*.log; do echo "== $f"; tail -20 "$f"; done
  exit 1
}
vsctl() { local i=$1; shift; ip netns exec ${P}h$i "$BUILD/ctl/vsctl" --socket="$W/sock$i" "$@"; }

if [ "$KIND" = vxlan ]; then
  OPTS="options:key=42" EXPECT_MTU=1450 FILTER="udp port 4789"
else
  OPTS="options:key=7" EXPECT_MTU=1458 FILTER="ip proto 47"
fi

ip netns add ${P}w && ip -n ${P}w link add wbr type bridge && ip -n ${P}w link set wbr up ||
  fail "wire setup"
for i in 1 2; do
  o=$((3 - i))
  ip netns add ${P}h$i && ip netns add ${P}c$i && ip -n ${P}h$i link set lo up &&
    ip link add ${P}u$i netns ${P}h$i type veth peer name ${P}p$i netns ${P}w &&
    ip -n ${P}h$i link set ${P}u$i name uplink && ip -n ${P}h$i link set uplink up &&
    ip -n ${P}w link set ${P}p$i master wbr && ip -n ${P}w link set ${P}p$i up &&
    ip -n ${P}h$i route add 10.97.0.0/24 dev uplink || fail "host $i setup"
  ip netns exec ${P}h$i "$BUILD/ctl/vswitchd" --db "$W/db$i.json" --socket "$W/sock$i" \
    --pidfile "$W/d$i.pid" --log-file "$W/d$i.log" --detach || fail "vswitchd $i"
  vsctl $i add-br brp -- add-port brp uplink -- add-br ovl -- add-port ovl t0 -- \
    set interface t0 type=$KIND options:remote_ip=10.97.0.$o options:local_ip=10.97.0.$i \
    options:underlay=port options:underlay_port=uplink $OPTS || fail "vsctl $i"
  ip netns exec ${P}h$i "$BUILD/ctl/vsattach" --socket "$W/sock$i" ovl ${P}c$i 10.96.0.$i/24 ||
    fail "vsattach $i"
done

# Bad settings are refused with a message naming the problem.
out=$(vsctl 1 add-port ovl bad -- set interface bad type=$KIND options:remote_ip=10.97.0.9 \
  options:local_ip=10.97.0.1 options:underlay=port options:underlay_port=ovl 2>&1) &&
  fail "a tunnel leaving by its own bridge was accepted"
echo "$out" | grep -q "own bridge" || fail "unclear error: $out"
out=$(vsctl 1 add-port ovl bad -- set interface bad type=$KIND options:remote_ip=10.97.0.9 \
  options:underlay=port options:underlay_port=uplink 2>&1) && fail "no local_ip accepted"
echo "$out" | grep -q "local_ip" || fail "unclear error: $out"

mtu=$(ip -n ${P}c1 -o link show eth0 | sed -n 's/.* mtu \([0-9]*\) .*/\1/p')
[ "$mtu" = "$EXPECT_MTU" ] || fail "container MTU $mtu, expected $EXPECT_MTU"
log "container MTU $mtu"

ip netns exec ${P}c1 ping -c 2 -i 0.2 -W 2 10.96.0.2 >/dev/null  # ARP across the tunnel
# 5 echo requests + 5 replies: tcpdump ends after 10 packets (or 10 s); -l and --immediate-mode
# write each packet at once; it says "listening on" once its filter is set.
ip netns exec ${P}w timeout 10 tcpdump -l --immediate-mode -c 10 -n -vv -i ${P}p1 "$FILTER" \
  >"$W/dump" 2>"$W/dump.err" &
dump=$!
wait_until 10 grep -q "listening on" "$W/dump.err" || fail "tcpdump did not start: $(cat "$W/dump.err")"
ip netns exec ${P}c1 ping -c 5 -i 0.2 -W 2 10.96.0.2 >"$W/ping" || fail "ping: $(cat "$W/ping")"
grep -q " 0% packet loss" "$W/ping" || fail "ping lost packets: $(tail -2 "$W/ping")"
wait $dump
log "tcpdump on the underlay:"
grep -B1 -A1 -m3 "ICMP echo" "$W/dump"
grep -q "bad cksum" "$W/dump" && fail "bad checksum on the wire"
if [ "$KIND" = vxlan ]; then
  n=$(grep -cE "10\.97\.0\.1\.[0-9]+ > 10\.97\.0\.2\.4789: \[no cksum\] VXLAN, flags \[I\] \(0x08\), vni 42" "$W/dump")
else
  n=$(grep -cE "10\.97\.0\.1 > 10\.97\.0\.2: GREv0, Flags \[key present\], key=0x7, (proto TEB|length)" "$W/dump")
fi
[ "$n" -ge 3 ] || fail "expected well-formed $KIND packets from 10.97.0.1, saw $n"
grep -qE "10\.96\.0\.1 > 10\.96\.0\.2: ICMP echo request" "$W/dump" || fail "inner ICMP not decoded"
grep -qE "10\.96\.0\.2 > 10\.96\.0\.1: ICMP echo reply" "$W/dump" || fail "no reply on the wire"

ip netns exec ${P}c2 iperf3 -s -1 -D -B 10.96.0.2 >/dev/null 2>&1
listening() { ip netns exec ${P}c2 ss -Hltn 'sport = :5201' | grep -q LISTEN; }
wait_until 10 listening || fail "iperf3 server did not start"
gbps=$(ip netns exec ${P}c1 timeout 20 iperf3 -c 10.96.0.2 -t 2 -J 2>/dev/null | python3 -c \
  'import json,sys; print("%.2f" % (json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"]/1e9))' 2>/dev/null)
log "TCP c1 -> c2: ${gbps:-none} Gbit/s"
python3 -c "import sys; sys.exit(0 if float('${gbps:-0}') > 0.01 else 1)" || fail "TCP did not flow"

stats=$(vsctl 1 get interface t0 statistics)
log "t0 statistics: $stats"
echo "$stats" | grep -qE "drop_tunnel_malformed=0" || fail "malformed tunnel packets counted"
echo "$stats" | grep -qE "tx_packets=[1-9]" || fail "no packets sent"
echo "$stats" | grep -qE "rx_packets=[1-9]" || fail "no packets received"
log "PASS ($KIND)"
