#!/usr/bin/env bash
# Integration test of kernel offload (ctl/offload/, ports/offload/; root): one namespaced host
# running vswitchd, containers attached by vsattach (access VLAN 10, one trunk of VLAN 10).
# Checks, offload on and off (other_config:kernel-offload=false) alike: ping and TCP both ways,
# access<->access and access<->trunk (push/pop); with offload on the kernel carries the frames
# (dpif/offload-show packets, GSO frames whole) and counters equal frames sent (offload-show and
# port statistics); a MAC move re-steers the entry; an offloaded MAC that talks stays learnt past
# the aging time and goes when quiet; del-port, off and a clean stop leave no tc filter or BPF
# program; after kill -9 the new daemon replaces the stale filters and offloads again.
#
#   offload_test.sh BUILD_DIR     exit 0 pass, 1 fail, 77 skipped (not root, no BPF)
set -u
export PATH=/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C
BUILD=$1
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
for t in iperf3 python3 bpftool tc; do command -v $t >/dev/null || { echo "SKIP: no $t"; exit 77; }; done
P=lof$(($$ % 100000))
W=$(mktemp -d /tmp/lvs-offload.XXXXXX)
NETNS="c1 c2 c3 c4 h"
# shellcheck source=../support/vswitchd_env.sh
. "$(dirname "$0")/../support/vswitchd_env.sh" || exit 1
stat() { vsctl get interface "$1" statistics:"$2" | tr -d '"'; }
ping_ok() { ip netns exec ${P}c$1 ping -q -c ${3:-1} -i 0.02 -W 1 "$2" >/dev/null; }
tcp() {  # tcp FROM TO_IP: iperf3 -t 2, Mbit/s received
  ip netns exec ${P}c$1 iperf3 -c "$2" -t 2 -J >"$W/iperf.json" || fail "iperf3 c$1 -> $2"
  python3 -c 'import json,sys; print("%.0f" % (json.load(open(sys.argv[1]))["end"]["sum_received"]["bits_per_second"]/1e6))' "$W/iperf.json"
}
mac_of() { ip netns exec ${P}c$1 cat /sys/class/net/eth0/address; }
our_filter() { H tc filter show dev "$1" ingress 2>/dev/null | grep -q lvs_tc_ingress; }
prog_ids() { H tc filter show dev "$1" ingress 2>/dev/null | sed -n 's/.* id \([0-9]*\).*/\1/p'; }

ip netns add ${P}h && H ip link set lo up || fail "host setup"
H sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
start_daemon
attach() {  # attach N VSATTACH_ARGS...: container N on bridge bro
  local n=$1
  shift
  ip netns add ${P}c$n && ip -n ${P}c$n link set lo up || fail "container $n"
  ip netns exec ${P}c$n sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
  H "$BUILD/ctl/vsattach" --socket "$W/sock" bro ${P}c$n "$@" >"$W/a$n" || fail "vsattach $n"
  eval PORT$n="$(sed 's/.* as port \([^ ]*\).*/\1/' "$W/a$n")"
  ip netns exec ${P}c$n iperf3 -s -D --pidfile "$W/iperf$n.pid" || fail "iperf3 -s $n"
}
attach 1 10.96.0.1/24 @10
attach 2 10.96.0.2/24 @10
# c4 on VLAN 20 (with c1's subnet): must stay unreachable from VLAN 10, offload or not. (Trunk
# cases with raw 802.1Q frames, no module needed: offload_vlan_test.sh.)
attach 4 10.96.0.4/24 @20
M1=$(mac_of 1) M2=$(mac_of 2) M4=$(mac_of 4)
state=$(vsctl --format json dpif/offload-show | python3 -c 'import json,sys; print(json.load(sys.stdin)["kernel_offload"])')
case "$state" in
  on) ;;
  unavailable*) echo "SKIP: kernel offload $state"; exit 77 ;;
  *) fail "kernel-offload is \"$state\" by default" ;;
esac
log "host ends: $PORT1 $PORT2 $PORT4"

# The VLAN cases, offload on then off: ping and TCP both ways give the same results.
matrix() {
  for pair in "1 10.96.0.2" "$B 10.96.0.1"; do
    set -- $pair
    until_ok 5 ping_ok $1 $2 || fail "ping c$1 -> $2"
  done
  ! ping_ok 1 10.96.0.4 2 || fail "VLAN 10 reached VLAN 20"
  for pair in "1 10.96.0.2" "$B 10.96.0.1"; do
    set -- $pair
    log "  TCP c$1 -> $2: $(tcp $1 $2) Mbit/s"
  done
}
B=2  # the container with 10.96.0.2 and MAC M2 (c3 after the move)
matrix
until_ok 3 has_entry $PORT1 $M2 || fail "no offload entry c1 -> c2: $(vsctl dpif/offload-show)"
until_ok 3 has_entry $PORT2 $M1 || fail "no offload entry c2 -> c1"
[ "$(offload action $PORT1 $M2)" = "" ] || fail "access -> access changes the tag"
no_entry $PORT1 $M4 || fail "an entry across VLANs"
big=$(offload bytes $PORT1 $M2) n=$(offload packets $PORT1 $M2)
[ "$n" -gt 1000 ] || fail "TCP c1 -> c2 was not carried by the kernel ($n packets)"
log "offloaded c1 -> c2: $n frames, $((big / n)) bytes each on average"
[ $((big / n)) -gt 1600 ] || fail "GSO frames were split (average $((big / n)) bytes)"

# Counters equal frames sent: 50 pings (no ARP: the neighbours are known, IPv6 is off).
rx0=$(stat $PORT1 rx_packets) tx0=$(stat $PORT2 tx_packets) o0=$(offload packets $PORT1 $M2)
ping_ok 1 10.96.0.2 50 || fail "50 pings"
sleep 0.25  # one sync period, to read the kernel's counters
rx1=$(stat $PORT1 rx_packets) tx1=$(stat $PORT2 tx_packets) o1=$(offload packets $PORT1 $M2)
log "50 pings: offload-show +$((o1 - o0)), rx $PORT1 +$((rx1 - rx0)), tx $PORT2 +$((tx1 - tx0))"
[ $((o1 - o0)) = 50 ] || fail "offload-show counted $((o1 - o0)) of 50 frames"
[ $((rx1 - rx0)) = 50 ] || fail "rx_packets of $PORT1 grew by $((rx1 - rx0)), not 50"
[ $((tx1 - tx0)) = 50 ] || fail "tx_packets of $PORT2 grew by $((tx1 - tx0)), not 50"

# MAC move: c3 takes c2's MAC and address; c2 goes quiet.
ip -n ${P}c2 link set eth0 down
attach 3 10.96.0.2/24 $M2@10
until_ok 5 ping_ok 3 10.96.0.1 || fail "ping from the moved station"
mv_ok() { [ "$(offload out_port $PORT1 $M2)" = "$PORT3" ]; }
until_ok 3 mv_ok || fail "the entry to $M2 was not re-steered to $PORT3: $(vsctl dpif/offload-show)"
ping_ok 1 10.96.0.2 5 || fail "ping to the moved station"
B=3

# Off: no filter, no entry; everything still works through userspace, counters still exact.
ids=$(prog_ids $PORT1)
vsctl set Open_vSwitch . other_config:kernel-offload=false || fail "kernel-offload=false"
for p in $PORT1 $PORT2 $PORT3; do ! our_filter $p || fail "offload off left a filter on $p"; done
[ "$(vsctl --format json dpif/offload-show | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["kernel_offload"], len(d["entries"]))')" = "off 0" ] ||
  fail "offload-show when off: $(vsctl dpif/offload-show)"
matrix
rx0=$(stat $PORT1 rx_packets)
ping_ok 1 10.96.0.2 20 || fail "20 pings (off)"
rx1=$(stat $PORT1 rx_packets)
[ $((rx1 - rx0)) = 20 ] || fail "off: rx_packets of $PORT1 grew by $((rx1 - rx0)), not 20"
for id in $ids; do ! bpftool prog show id $id >/dev/null 2>&1 || fail "program $id still loaded"; done
vsctl set Open_vSwitch . other_config:kernel-offload=true || fail "kernel-offload=true"
ping_ok 1 10.96.0.2 3
until_ok 3 has_entry $PORT1 $M2 || fail "offload did not come back"

# Aging (15 s): a talking station stays learnt though userspace sees none of its frames.
vsctl set bridge bro other_config:mac-aging-time=15 || fail "mac-aging-time"
ip netns exec ${P}c1 ping -q -i 0.2 -w 17 10.96.0.2 >/dev/null &
PING=$!
sleep 16.5
age=$(vsctl fdb/show bro | grep -i "$M2" | awk '{print $NF}')
n=$(offload packets $PORT1 $M2)
log "after 16.5 s of offloaded pings: FDB age of $M2 ${age:-none}, entry $n packets"
[ -n "$age" ] && [ "$age" -le 3 ] || fail "the talking offloaded station was not refreshed (age ${age:-none})"
[ "${n:-0}" -ge 60 ] || fail "the talking station's entry was withdrawn on the way ($n packets)"
wait $PING
until_ok 25 no_entry $PORT1 $M2 || fail "the quiet station's entry stayed"
vsctl fdb/show bro | grep -qi "$M2" && fail "the quiet station is still learnt"
vsctl set bridge bro other_config:mac-aging-time=300

# del-port: its filter goes with it.
our_filter $PORT4 || fail "no filter on $PORT4"
vsctl del-port bro $PORT4 || fail "del-port"
! our_filter $PORT4 || fail "del-port left the filter on $PORT4"

# kill -9: the filters stay behind; the new daemon replaces them and offloads again.
ping_ok 1 10.96.0.2 3
until_ok 3 has_entry $PORT1 $M2 || fail "no entry before kill -9"
stale=$(prog_ids $PORT1)
stop_daemon -9
our_filter $PORT1 || fail "kill -9 should leave the filter (nothing to reconcile otherwise)"
start_daemon
until_ok 5 sh -c "$(declare -f H prog_ids); P=$P; [ -n \"\$(prog_ids $PORT1)\" ] && [ \"\$(prog_ids $PORT1)\" != \"$stale\" ]" ||
  fail "the stale filter on $PORT1 was not replaced: $(H tc filter show dev $PORT1 ingress)"
for id in $stale; do until_ok 3 sh -c "! bpftool prog show id $id" || fail "stale program $id still loaded"; done
until_ok 5 ping_ok 1 10.96.0.2 || fail "ping after restart"
until_ok 3 has_entry $PORT1 $M2 || fail "entries not re-installed after restart"

# Clean stop, del-br: nothing of ours stays.
ids="$(prog_ids $PORT1) $(prog_ids $PORT2)"
vsctl del-br bro || fail "del-br"
for p in $PORT1 $PORT2 $PORT3; do ! our_filter $p || fail "del-br left a filter on $p"; done
stop_daemon
for id in $ids; do ! bpftool prog show id $id >/dev/null 2>&1 || fail "program $id left loaded"; done
grep -q "stale filter" "$W/d.log" || fail "the restart did not log the stale filters"

# No BPF for the daemon (neither CAP_BPF nor CAP_SYS_ADMIN): one log line, userspace forwards.
if command -v capsh >/dev/null; then
  H capsh --drop=cap_bpf,cap_sys_admin -- -c "$BUILD/ctl/vswitchd --db $W/db.json --socket $W/sock \
    --pidfile $W/d.pid --log-file $W/d.log --detach" || fail "vswitchd without CAP_BPF"
  vsctl add-br bro -- add-port bro $PORT1 tag=10 -- add-port bro $PORT3 tag=10 || fail "re-add"
  vsctl dpif/offload-show | grep -q "^kernel offload: unavailable: " ||
    fail "without CAP_BPF: $(vsctl dpif/offload-show)"
  [ "$(grep -c "kernel offload unavailable" "$W/d.log")" = 1 ] || fail "not one log line"
  until_ok 5 ping_ok 1 10.96.0.2 || fail "no userspace fallback without CAP_BPF"
  ! our_filter $PORT1 || fail "a filter without CAP_BPF"
else
  log "capsh missing: the no-BPF fallback is left out"
fi
log "PASS"
