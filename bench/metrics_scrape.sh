#!/bin/bash
# Does scraping /metrics slow the datapath? (issue 19). A real vswitchd (one PMD thread pinned to
# a core, pmd-sleep=off) forwards learned unicast between two net_pcap ports replaying
# bench/station_pcap.py's 64-byte frames (infinite_rx, as the datapath scenario's "same frames"
# case); its rate is read from its own /metrics (lvs_interface_tx_packets_total of both ports)
# over DUR seconds in three modes, ROUNDS rounds interleaved: none (nobody scrapes), scrape (a
# client on SCRAPE_CORE fetches /metrics 10 times a second) and http (the same client fetches
# `/` instead: the same HTTP round trips without a snapshot, the control for the client's own
# load). Per run: Mpps, scrapes/s, the PMD thread's involuntary context switches per second and
# the CPU of vswitchd's other threads (control + HTTP) in % of a core; then per-round ratios and
# the medians.
#   sudo bench/metrics_scrape.sh [BUILD_DIR] [ROUNDS] [DUR] [PMD_CORE] [SCRAPE_CORE]
set -euo pipefail
BUILD=${1:-build}
ROUNDS=${2:-3}
DUR=${3:-5}
PMD_CORE=${4:-1}
SCRAPE_CORE=${5:-0}
BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
W=$(mktemp -d /tmp/lvs-metrics-bench.XXXXXX)
chmod 755 "$W"
NS=lvsbm-$$
PORT=9477
URL=http://127.0.0.1:$PORT/metrics
VS=()
cleanup() {
  [ -n "${SCRAPER:-}" ] && kill "$SCRAPER" 2>/dev/null || true
  [ -n "${VSPID:-}" ] && kill "$VSPID" 2>/dev/null && wait "$VSPID" 2>/dev/null || true
  ip netns del "$NS" 2>/dev/null || true
  rm -rf "$W"
}
trap cleanup EXIT
in_ns() { ip netns exec "$NS" "$@"; }
vsctl() { "$BUILD/ctl/vsctl" --socket "$W/sock" "$@"; }

python3 "$BENCH_DIR/station_pcap.py" --port 0 --stations 1 "$W/p0.pcap" >/dev/null
python3 "$BENCH_DIR/station_pcap.py" --port 1 --stations 1 "$W/p1.pcap" >/dev/null
ip netns add "$NS"
in_ns ip link set lo up
VS=("$BUILD/ctl/vswitchd" --db "$W/db.json" --socket "$W/sock" --log-file "$W/log" --pidfile "$W/pid"
    --pmd-cores "$PMD_CORE" --metrics-address "127.0.0.1:$PORT")
in_ns "${VS[@]}" >"$W/out" 2>&1 &
VSPID=$!
for _ in $(seq 100); do vsctl list-br >/dev/null 2>&1 && break; sleep 0.1; done
vsctl set Open_vSwitch . other_config:pmd-sleep=off
vsctl add-br brb -- add-port brb p0 -- set interface p0 type=dpdk \
  "options:dpdk-devargs=net_pcap0,rx_pcap=$W/p0.pcap,infinite_rx=1" \
  -- add-port brb p1 -- set interface p1 type=dpdk "options:dpdk-devargs=net_pcap1,rx_pcap=$W/p1.pcap,infinite_rx=1"
sleep 2  # learn, warm up
VS_REAL=$(cat "$W/pid")  # ip netns exec runs vswitchd as its child
PMD_TID=$(grep -l '^pmd0$' /proc/"$VS_REAL"/task/*/comm | head -1 | cut -d/ -f5)
# Times the PMD thread was preempted (a scrape landing on its core would show here).
preempted() { awk '/^nonvoluntary_ctxt_switches/ {print $2}' /proc/"$VS_REAL"/task/"$PMD_TID"/status; }
# CPU ticks (utime + stime) of vswitchd's threads other than the PMD: the control thread's
# snapshots and the HTTP threads' formatting.
other_ticks() {
  local t s=0
  for t in /proc/"$VS_REAL"/task/*; do
    [ "${t##*/}" = "$PMD_TID" ] && continue
    s=$((s + $(sed 's/.*) //' "$t/stat" | awk '{print $12 + $13}')))
  done
  echo "$s"
}
HZ=$(getconf CLK_TCK)

# Frames sent by p0 and p1, from one scrape.
sent() {
  in_ns curl -s "$URL" | awk '/^lvs_interface_tx_packets_total\{bridge="brb",interface="p[01]"\}/ {s += $2} END {printf "%d\n", s}'
}
run() {  # MODE: prints Mpps and the scrapes made
  local mode=$1 a b t0 t1 n=0
  if [ "$mode" != none ]; then
    local url=$URL
    [ "$mode" = http ] && url=${URL%/metrics}/  # the same HTTP round trips, no snapshot
    : > "$W/scrapes"
    # 10 scrapes a second on a fixed clock (a slow one is not made up for), one line each.
    taskset -c "$SCRAPE_CORE" ip netns exec "$NS" python3 -c '
import sys, time, urllib.request
next_t = time.monotonic()
while True:
    urllib.request.urlopen(sys.argv[1]).read()
    print(flush=True)
    next_t += 0.1
    time.sleep(max(0.0, next_t - time.monotonic()))
' "$url" >> "$W/scrapes" &
    SCRAPER=$!
    sleep 0.5
    : > "$W/scrapes"
  fi
  a=$(sent); t0=$(date +%s.%N); p0=$(preempted); c0=$(other_ticks)
  sleep "$DUR"
  b=$(sent); t1=$(date +%s.%N); p1=$(preempted); c1=$(other_ticks)
  if [ "$mode" != none ]; then
    n=$(wc -l < "$W/scrapes")
    kill "$SCRAPER"; wait "$SCRAPER" 2>/dev/null || true; SCRAPER=
  fi
  awk -v a="$a" -v b="$b" -v t0="$t0" -v t1="$t1" -v n="$n" -v m="$mode" -v p=$((p1 - p0)) \
    -v c=$((c1 - c0)) -v hz="$HZ" 'BEGIN {d = t1 - t0
      printf "%s mpps=%.3f scrapes_per_s=%.1f pmd_preempted_per_s=%.1f non_pmd_cpu_pct=%.2f\n",
        m, (b - a) / d / 1e6, n / d, p / d, 100 * c / hz / d}'
}
for r in $(seq "$ROUNDS"); do
  run none
  run scrape
  run http
done | tee "$W/runs"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
# Each round's scrape run over its none run: the pairs share the machine's load of the moment.
for m in scrape http; do
  paste -d' ' <(grep '^none ' "$W/runs") <(grep "^$m " "$W/runs") |
    sed "s/.*none mpps=\([0-9.]*\).*$m mpps=\([0-9.]*\).*/\1 \2/" |
    awk '{print $2 / $1}' | sort -n | awk -v m="$m" '{v[NR] = $1} END {
      printf "median ratio %s/none=%.3f (min %.3f, max %.3f)\n", m, v[int((NR + 1) / 2)], v[1], v[NR]}'
done
for m in none scrape http; do
  grep "^$m " "$W/runs" | sed 's/.*mpps=\([0-9.]*\).*/\1/' | sort -n |
    awk -v m="$m" '{v[NR] = $1} END {printf "median %s mpps=%.3f (%d runs)\n", m, v[int((NR + 1) / 2)], NR}'
done
