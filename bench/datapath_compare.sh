#!/usr/bin/env bash
# Datapath limit, side by side: this switch (learned unicast, bench/datapath_fwd) vs dpdk-testpmd
# io and macswap, on the same DPDK vdevs (two net_null ports), 64-byte frames, one forwarding
# core, interleaved rounds in one run. Prints a table of medians (min-max) and ratios and writes
# it with the machine, versions and exact commands to bench/results/.
#
#   bench/datapath_compare.sh [--quick] [--reps N] [--seconds S] [--build DIR] [--no-record]
#
# Environment: CORE=1 (forwarding core), MAIN_CORE=0, HUGE=0|1 (1: reserve 2 MB hugepages and
# run both with --in-memory; 0: both with --no-huge).
set -euo pipefail
cd "$(dirname "$0")/.."
REPS=3 SECONDS_EACH=8 BUILD=build RECORD=1
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) REPS=1 SECONDS_EACH=4 ;;
    --reps) REPS=$2; shift ;;
    --seconds) SECONDS_EACH=$2; shift ;;
    --build) BUILD=$2; shift ;;
    --no-record) RECORD=0 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
CORE=${CORE:-1} MAIN_CORE=${MAIN_CORE:-0} HUGE=${HUGE:-0}
FWD=$BUILD/bench/datapath_fwd
[ -x "$FWD" ] || { echo "missing $FWD: build the project first" >&2; exit 1; }
command -v dpdk-testpmd >/dev/null || { echo "missing dpdk-testpmd (apt-get install dpdk-dev)" >&2; exit 1; }

if [ "$HUGE" = 1 ]; then
  echo 1024 > /sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages
  mountpoint -q /dev/hugepages || { mkdir -p /dev/hugepages; mount -t hugetlbfs nodev /dev/hugepages; }
  MEM="--in-memory" HUGE_WORD=on
else
  MEM="--no-huge --no-shconf -m 1024" HUGE_WORD=off
fi
VDEVS="--vdev net_null0 --vdev net_null1"
LOG=$(mktemp -d /tmp/lvs-dpcmp.XXXXXX)
trap 'rm -rf "$LOG"' EXIT

# testpmd prints "Rx-pps: N" per port every second; sum the two ports of each second and take
# the median of the seconds after the first two (start-up).
testpmd_mpps() {
  local mode=$1 log=$LOG/testpmd-$1-$2.log
  local cmd="dpdk-testpmd $MEM --file-prefix lvscmp$$ -l $MAIN_CORE,$CORE --no-pci --no-telemetry $VDEVS -- --forward-mode=$mode --nb-cores=1 --auto-start --stats-period 1 --total-num-mbufs=32768"
  echo "$cmd" > "$LOG/cmd-testpmd-$mode"
  timeout -s INT $((SECONDS_EACH + 2)) $cmd > "$log" 2>&1 || true
  grep -o 'Rx-pps: *[0-9]*' "$log" | awk '{print $2}' |
    awk 'NR%2==1{a=$1; next} {print (a+$1)/1e6}' | tail -n +3 | sort -g |
    awk '{v[NR]=$1} END{ if (NR==0) {print "FAIL"; exit} print v[int((NR+1)/2)] }'
}

switch_mpps() {
  local log=$LOG/switch-$1.log
  local cmd="$FWD --pmd-core $CORE --seconds $SECONDS_EACH --huge $HUGE_WORD net_null0 net_null1"
  echo "$cmd" > "$LOG/cmd-switch"
  $cmd > "$log" 2>&1 || true
  sed -n 's/^mpps=\([0-9.]*\).*/\1/p' "$log" | grep . || echo FAIL
}

declare -A R
for r in $(seq 1 "$REPS"); do
  R[io]+="$(testpmd_mpps io "$r") "
  R[macswap]+="$(testpmd_mpps macswap "$r") "
  R[switch]+="$(switch_mpps "$r") "
  echo "after round $r: testpmd io: ${R[io]}; macswap: ${R[macswap]}; switch: ${R[switch]}" >&2
done

stats() {  # median min max of the numbers given
  tr ' ' '\n' | grep -v '^$' | sort -g | awk '{v[NR]=$1} END{
    if (NR==0) {print "FAIL FAIL FAIL"; exit}
    print v[int((NR+1)/2)], v[1], v[NR] }'
}
for k in io macswap switch; do
  if echo "${R[$k]}" | grep -q FAIL; then
    echo "ERROR: $k did not run (logs below)" >&2
    tail -n 20 "$LOG"/*"$k"* >&2 || true
    exit 1
  fi
done
read -r IO_MED IO_MIN IO_MAX <<<"$(echo "${R[io]}" | stats)"
read -r MS_MED MS_MIN MS_MAX <<<"$(echo "${R[macswap]}" | stats)"
read -r SW_MED SW_MIN SW_MAX <<<"$(echo "${R[switch]}" | stats)"
CPP=$(sed -n 's/.*cycles_per_pkt=\([0-9.]*\).*/\1/p' "$LOG"/switch-*.log | sort -g | awk '{v[NR]=$1} END{print v[int((NR+1)/2)]}')
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.2f", a/b}'; }

TABLE=$(cat <<EOT
| system (2 x net_null, 64 B, 1 core) | Mpps median (min-max) | ratio switch / system |
|---|---|---|
| dpdk-testpmd io | $IO_MED ($IO_MIN-$IO_MAX) | $(ratio "$SW_MED" "$IO_MED") |
| dpdk-testpmd macswap | $MS_MED ($MS_MIN-$MS_MAX) | $(ratio "$SW_MED" "$MS_MED") |
| Lite vSwitch, learned unicast | $SW_MED ($SW_MIN-$SW_MAX), ${CPP} cycles/pkt | 1.00 |
EOT
)
echo "$TABLE"
if [ "$RECORD" = 1 ]; then
  mkdir -p bench/results
  OUT=bench/results/datapath-$(date +%Y-%m-%d)-$(hostname -s).md
  {
    echo "# Datapath limit: Lite vSwitch vs dpdk-testpmd ($(date -u +%FT%TZ))"
    echo
    echo "Command: \`bench/datapath_compare.sh --reps $REPS --seconds $SECONDS_EACH\` (HUGE=$HUGE, CORE=$CORE)"
    echo
    echo "Machine: $(lscpu | sed -n 's/Model name: *//p' | head -1), $(nproc) cores, kernel $(uname -r);" \
         "DPDK $(dpkg-query -W -f='${Version}' libdpdk-dev 2>/dev/null)"
    echo
    echo "$TABLE"
    echo
    echo "Each system ran $REPS interleaved rounds of $SECONDS_EACH s; per-second totals of both ports, first seconds dropped."
    echo "Raw Mpps per round: testpmd io: ${R[io]}; macswap: ${R[macswap]}; switch: ${R[switch]}"
    echo
    echo "Exact commands:"
    echo '```'
    cat "$LOG"/cmd-testpmd-io "$LOG"/cmd-testpmd-macswap "$LOG"/cmd-switch
    echo '```'
  } > "$OUT"
  echo "recorded in $OUT" >&2
fi
