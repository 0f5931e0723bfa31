#!/usr/bin/env bash
# Soak: vswitchd built with AddressSanitizer + UndefinedBehaviorSanitizer carries traffic between
# two containers for SECONDS while the configuration churns around it: a third container attached
# and detached, 100 ports added and removed in one transaction, a VXLAN tunnel added, re-keyed and
# removed. Passes when, afterwards: the sanitizers reported nothing (leaks included), every packet
# buffer was back in its pool when the daemon stopped, the daemon's RSS stayed flat after warm-up,
# and the two containers still reach each other.
#
#   scripts/soak.sh [SECONDS]        (default 600; CI runs 60)
# Environment: BUILD=build-asan (built here with -DLVS_SANITIZE=ON if missing).
# Names: netns lvssoak-host (plays the host: vswitchd, br0 and its NAT table live there, never on
# the real host) and lvssoak-c1..c3 (containers), all removed at exit.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_TO_RUN=${1:-600}
BUILD=${BUILD:-build-asan}
[ "$(id -u)" = 0 ] || { echo "soak: needs root (network namespaces)" >&2; exit 1; }
for t in vswitchd vsctl vsattach; do
  if [ ! -x "$BUILD/ctl/$t" ]; then
    scripts/build.sh "$BUILD" -DCMAKE_BUILD_TYPE=Debug -DLVS_SANITIZE=ON -DLVS_BUILD_BENCH=OFF
    break
  fi
done
VSWITCHD=$BUILD/ctl/vswitchd VSCTL=$BUILD/ctl/vsctl VSATTACH=$BUILD/ctl/vsattach
W=$(mktemp -d /tmp/lvs-soak.XXXXXX)
SOCK=$W/vswitchd.sock
H="ip netns exec lvssoak-host"
DPID="" BG=()

cleanup() {
  for p in "${BG[@]}"; do kill "$p" 2>/dev/null || true; done
  [ -n "$DPID" ] && kill -9 "$DPID" 2>/dev/null || true
  for n in lvssoak-c1 lvssoak-c2 lvssoak-c3 lvssoak-host; do ip netns del $n 2>/dev/null || true; done
  [ "${KEEP:-0}" = 1 ] && echo "soak: kept $W" >&2 || rm -rf "$W"
}
trap cleanup EXIT
fail() { echo "soak: FAILED: $*" >&2; tail -20 "$W/vswitchd.log" >&2 || true; exit 1; }
vsctl() { "$VSCTL" --socket "$SOCK" -t 30 "$@"; }
attach() { $H "$VSATTACH" --socket "$SOCK" "$@" >/dev/null; }
rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$DPID/status"; }

ip netns add lvssoak-host
$H ip link set lo up
for c in c1 c2 c3; do ip netns add lvssoak-$c; done

# Small quarantine: freed memory parked by ASan must not look like growth.
export ASAN_OPTIONS="detect_leaks=1:quarantine_size_mb=16:log_path=$W/asan:abort_on_error=0"
export UBSAN_OPTIONS="print_stacktrace=1:log_path=$W/ubsan"
$H "$VSWITCHD" --db "$W/conf.json" --socket "$SOCK" --log-file "$W/vswitchd.log" &
DPID=$!
vsctl list-br >/dev/null || fail "vswitchd did not start"
attach br0 lvssoak-c1 172.17.0.2/16
attach br0 lvssoak-c2 172.17.0.3/16
ip netns exec lvssoak-c1 ping -c 3 -i 0.2 -W 2 172.17.0.3 >/dev/null || fail "c1 cannot reach c2 before the soak"

# Traffic for the whole run: TCP at a bounded rate (ASan is slow) and a ping every 10 ms.
ip netns exec lvssoak-c2 iperf3 -s -D -1 --logfile "$W/iperf3-server.log" -p 5299
sleep 0.5
ip netns exec lvssoak-c1 iperf3 -c 172.17.0.3 -p 5299 -t "$SECONDS_TO_RUN" -b 100M -i 0 \
  --logfile "$W/iperf3-client.log" &
BG+=($!)
ip netns exec lvssoak-c1 ping -q -i 0.01 -w "$SECONDS_TO_RUN" 172.17.0.3 > "$W/ping.log" 2>&1 &
BG+=($!)

start=$(date +%s) end=$(( $(date +%s) + SECONDS_TO_RUN ))
warm=$(( start + SECONDS_TO_RUN / 4 ))
rss_warm="" rounds=0
many_add=() many_del=()
for i in $(seq 1 100); do
  many_add+=(-- add-port br0 "soak$i" -- set interface "soak$i" type=internal)
  many_del+=(-- del-port br0 "soak$i")
done
while [ "$(date +%s)" -lt "$end" ]; do
  rounds=$((rounds + 1))
  attach br0 lvssoak-c3 172.17.0.4/16 || fail "attach c3 (round $rounds)"
  ip netns exec lvssoak-c3 ping -c 1 -W 2 172.17.0.1 >/dev/null || fail "c3 cannot reach the gateway (round $rounds)"
  attach --detach br0 lvssoak-c3 || fail "detach c3 (round $rounds)"
  vsctl "${many_add[@]:1}" >/dev/null || fail "adding 100 ports (round $rounds)"
  vsctl "${many_del[@]:1}" >/dev/null || fail "removing 100 ports (round $rounds)"
  vsctl add-port br0 soakvx -- set interface soakvx type=vxlan options:remote_ip=192.0.2.7 \
    options:key=$rounds >/dev/null || fail "adding a tunnel (round $rounds)"
  vsctl set interface soakvx options:key=$((rounds + 1000)) >/dev/null || fail "re-keying (round $rounds)"
  vsctl del-port br0 soakvx >/dev/null || fail "removing the tunnel (round $rounds)"
  if [ -z "$rss_warm" ] && [ "$(date +%s)" -ge "$warm" ]; then rss_warm=$(rss_kb); fi
done
rss_end=$(rss_kb)
[ -n "$rss_warm" ] || rss_warm=$rss_end
ip netns exec lvssoak-c1 ping -c 3 -i 0.2 -W 2 172.17.0.3 >/dev/null || fail "c1 cannot reach c2 after the soak"
for p in "${BG[@]}"; do wait "$p" 2>/dev/null || true; done
BG=()
vsctl show >/dev/null
kill -TERM "$DPID"
wait "$DPID" || fail "vswitchd exited with status $?"
DPID=""

errors=0
if ls "$W"/asan* "$W"/ubsan* >/dev/null 2>&1; then
  echo "soak: sanitizer reports:" >&2
  cat "$W"/asan* "$W"/ubsan* >&2 2>/dev/null || true
  errors=1
fi
grep -q "packet buffers: all" "$W/vswitchd.log" || { grep "packet buffers" "$W/vswitchd.log" >&2; errors=1; }
# Flat: at most 10% (+16 MiB for allocator slack) above what it was after a quarter of the run.
limit=$(( rss_warm + rss_warm / 10 + 16384 ))
[ "$rss_end" -le "$limit" ] || { echo "soak: RSS grew from $rss_warm kB to $rss_end kB" >&2; errors=1; }
tcp=$(awk '/receiver/ {print $7, $8}' "$W/iperf3-client.log" | tail -1)
pings=$(grep -E "packets transmitted" "$W/ping.log" || true)
echo "soak: ${SECONDS_TO_RUN} s, $rounds churn rounds (attach+detach, 100 ports in+out, tunnel add/re-key/del)"
echo "soak: RSS $rss_warm kB after warm-up, $rss_end kB at the end; TCP ${tcp:-?}; ping: ${pings:-?}"
echo "soak: $(grep "packet buffers" "$W/vswitchd.log" | tail -1 | sed 's/^.*packet buffers/packet buffers/')"
[ "$errors" = 0 ] || fail "see above"
echo "soak: passed"
