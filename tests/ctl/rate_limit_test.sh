#!/usr/bin/env bash
# Integration test of per-port rate limits (root): one namespaced host running vswitchd, three
# containers attached by vsattach to bridge brq; iperf3 TCP and UDP through a limited port.
# Checks: ingress policing (Interface ingress_policing_rate: what the container sends) and the
# egress limit (Port other_config:egress-rate-kbps: what it receives) hold TCP and UDP within
# +-10% of 10 Mbit/s and TCP within +-10% of 1 Gbit/s (UDP is not: iperf3 UDP does not reach
# 1 Gbit/s on this VM even unlimited); the drops are counted as their own reasons; another
# port is unaffected; removing the limit restores the full rate; vsattach --rate sets both;
# bad values are refused and change nothing. Where the machine cannot carry 1.3 Gbit/s unlimited
# the 1 Gbit/s checks are left out (logged), the rest still runs.
#
#   rate_limit_test.sh BUILD_DIR       exit 0 pass, 1 fail, 77 skipped (not root)
set -u
export PATH=/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C
BUILD=$1
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
for t in iperf3 python3; do command -v $t >/dev/null || { echo "SKIP: no $t"; exit 77; }; done
P=lrl$(($$ % 100000))
W=$(mktemp -d /tmp/lvs-rate-limit.XXXXXX)
NETNS="c1 c2 c3 h"
# shellcheck source=../support/vswitchd_env.sh
. "$(dirname "$0")/../support/vswitchd_env.sh" || exit 1

ip netns add ${P}h && ip -n ${P}h link set lo up || fail "host setup"
start_daemon
for i in 1 2 3; do
  ip netns add ${P}c$i && ip -n ${P}c$i link set lo up || fail "container $i"
  ip netns exec ${P}h "$BUILD/ctl/vsattach" --socket "$W/sock" brq ${P}c$i 10.95.0.$i/24 \
    >"$W/a$i" || fail "vsattach $i"
  eval PORT$i="$(sed 's/.* as port //' "$W/a$i")"
  ip netns exec ${P}c$i iperf3 -s -D -p 5201 --pidfile "$W/iperf$i.pid" || fail "iperf3 -s $i"
done
sleep 0.3

# iperf3 FROM TO [ARGS...]: the rate in Mbit/s the receiver saw (TCP goodput, UDP delivered),
# 4 s measured after 1 s left out (the bucket's initial burst and TCP's slow start); quick (1 s
# measured) for the checks that only ask "far above the limit"; "settle" leaves 2 s out, for the
# 1 Gbit/s limits (their bucket holds 0.8 Gbit, which a 2 Gbit/s sender drains only after ~1 s).
iperf() {
  local from=$1 to=$2 t=4 omit=1
  shift 2
  case "${1:-}" in
    quick) t=1; shift ;;
    settle) t=3 omit=2; shift ;;
  esac
  ip netns exec ${P}c$from iperf3 -c 10.95.0.$to -t $t -O $omit -J "$@" >"$W/iperf.json" ||
    fail "iperf3 c$from -> c$to $*: $(tail -3 "$W/iperf.json")"
  python3 -c '
import json, sys
e = json.load(open(sys.argv[1]))["end"]
bps = e["sum_received"]["bits_per_second"] if "sum_received" in e else \
      e["sum"]["bits_per_second"] * (1 - e["sum"]["lost_percent"] / 100)
print("%.2f" % (bps / 1e6))' "$W/iperf.json"
}
# within MEASURED EXPECTED: true when MEASURED is within 10% of EXPECTED (Mbit/s).
within() { python3 -c 'import sys; m, e = map(float, sys.argv[1:]); sys.exit(abs(m - e) > 0.1 * e)' "$1" "$2"; }
above() { python3 -c 'import sys; m, e = map(float, sys.argv[1:]); sys.exit(m <= e)' "$1" "$2"; }
stat() { vsctl get interface "$1" statistics:"$2" | tr -d '"'; }

base=$(iperf 1 2)
log "unlimited TCP c1 -> c2: $base Mbit/s"
# 1 Gbit/s needs headroom: on a machine (or a moment) that cannot carry 1.3 Gbit/s unlimited, the
# 1 Gbit/s checks are left out, saying so; the rest still runs.
GIG=1
above "$base" 1300 || { GIG=0; log "1 Gbit/s checks left out: unlimited is only $base Mbit/s"; }
FULL=$(python3 -c "print(min(1300, 0.5 * $base))")  # 'full rate' for the restore checks

# Bad values: refused, naming the column, and nothing changes.
for v in -1 abc 4294967296 1.5 ""; do
  out=$(vsctl set interface $PORT1 ingress_policing_rate="$v" 2>&1) &&
    fail "ingress_policing_rate=\"$v\" was accepted"
  echo "$out" | grep -q "ingress_policing_rate" || fail "unclear error for \"$v\": $out"
  out=$(vsctl set port $PORT1 other_config:egress-rate-kbps="$v" 2>&1) &&
    fail "egress-rate-kbps=\"$v\" was accepted"
  echo "$out" | grep -q "egress-rate-kbps" || fail "unclear error for \"$v\": $out"
done
[ "$(vsctl get interface $PORT1 ingress_policing_rate)" = 0 ] || fail "a refused value stuck"
[ "$(vsctl get port $PORT1 other_config)" = "{}" ] || fail "a refused key stuck"

# Ingress policing on c1's port: what c1 sends.
vsctl set interface $PORT1 ingress_policing_rate=10000 || fail "set ingress_policing_rate"
vsctl show | grep -q "ingress_policing_rate: 10000" || fail "show does not list the limit"
tcp=$(iperf 1 2)
udp=$(iperf 1 2 -u -b 20M)
log "ingress 10 Mbit/s: TCP $tcp, UDP $udp Mbit/s"
within "$tcp" 10 || fail "TCP through a 10 Mbit/s ingress policer: $tcp Mbit/s"
within "$udp" 10 || fail "UDP through a 10 Mbit/s ingress policer: $udp Mbit/s"
[ "$(stat $PORT1 drop_ingress_policed)" -gt 0 ] || fail "no drop_ingress_policed counted"
other=$(iperf 3 2 quick)
log "  meanwhile c3 -> c2: $other Mbit/s"
above "$other" "$FULL" || fail "c3's port is slowed by c1's limit: $other Mbit/s"
back=$(iperf 2 1 quick)  # c1 receives: its egress is not limited
log "  c2 -> c1 (not limited): $back Mbit/s"
above "$back" "$FULL" || fail "the other direction of c1's port is limited: $back Mbit/s"
if [ $GIG = 1 ]; then
  vsctl set interface $PORT1 ingress_policing_rate=1000000 || fail "set 1 Gbit/s"
  tcp=$(iperf 1 2 settle)
  log "ingress 1 Gbit/s: TCP $tcp Mbit/s"
  within "$tcp" 1000 || fail "TCP through a 1 Gbit/s ingress policer: $tcp Mbit/s"
fi
vsctl set interface $PORT1 ingress_policing_rate=0 || fail "clear"
free=$(iperf 1 2 quick)
log "ingress limit removed: TCP $free Mbit/s"
above "$free" "$FULL" || fail "removing the limit did not restore the rate: $free Mbit/s"

# Egress limit on c2's port: what the switch sends to c2.
vsctl set port $PORT2 other_config:egress-rate-kbps=10000 || fail "set egress-rate-kbps"
tcp=$(iperf 1 2)
udp=$(iperf 3 2 -u -b 20M)
log "egress 10 Mbit/s: TCP $tcp, UDP $udp Mbit/s"
within "$tcp" 10 || fail "TCP through a 10 Mbit/s egress limit: $tcp Mbit/s"
within "$udp" 10 || fail "UDP through a 10 Mbit/s egress limit: $udp Mbit/s"
[ "$(stat $PORT2 drop_egress_shaped)" -gt 0 ] || fail "no drop_egress_shaped counted"
[ "$(stat $PORT1 drop_egress_shaped)" = 0 ] || fail "drops counted on the wrong port"
other=$(iperf 1 3 quick)
log "  meanwhile c1 -> c3: $other Mbit/s"
above "$other" "$FULL" || fail "c3 is slowed by c2's limit: $other Mbit/s"
if [ $GIG = 1 ]; then
  vsctl set port $PORT2 other_config:egress-rate-kbps=1000000 || fail "set 1 Gbit/s"
  tcp=$(iperf 1 2 settle)
  log "egress 1 Gbit/s: TCP $tcp Mbit/s"
  within "$tcp" 1000 || fail "TCP through a 1 Gbit/s egress limit: $tcp Mbit/s"
fi
vsctl remove port $PORT2 other_config egress-rate-kbps || fail "remove"
free=$(iperf 1 2 quick)
log "egress limit removed: TCP $free Mbit/s"
above "$free" "$FULL" || fail "removing the limit did not restore the rate: $free Mbit/s"

# vsattach --rate: both directions; running it again without --rate clears them.
ip netns exec ${P}h "$BUILD/ctl/vsattach" --socket "$W/sock" brq ${P}c3 10.95.0.3/24 \
  --rate 20000,4000 >/dev/null || fail "vsattach --rate"
[ "$(vsctl get interface $PORT3 ingress_policing_rate)" = 20000 ] &&
  [ "$(vsctl get interface $PORT3 ingress_policing_burst)" = 4000 ] &&
  [ "$(vsctl get port $PORT3 other_config:egress-rate-kbps | tr -d '"')" = 20000 ] &&
  [ "$(vsctl get port $PORT3 other_config:egress-burst-kb | tr -d '"')" = 4000 ] ||
  fail "vsattach --rate did not set both directions: $(vsctl list interface $PORT3)"
out=$(ip netns exec ${P}h "$BUILD/ctl/vsattach" --socket "$W/sock" brq ${P}c3 10.95.0.3/24 \
  --rate 10k 2>&1) && fail "--rate 10k was accepted"
echo "$out" | grep -q -- "--rate" || fail "unclear error: $out"
ip netns exec ${P}h "$BUILD/ctl/vsattach" --socket "$W/sock" brq ${P}c3 10.95.0.3/24 \
  >/dev/null || fail "vsattach again"
[ "$(vsctl get interface $PORT3 ingress_policing_rate)" = 0 ] &&
  [ "$(vsctl get port $PORT3 other_config)" = "{}" ] || fail "the limits were not cleared"
log "PASS"
