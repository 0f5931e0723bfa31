#!/usr/bin/env bash
# The benchmark suite in one command: every scenario side by side with its peers in one run.
#
#   bench/run.sh [--quick] [--reps N] [--dur S] [--build DIR] [--out DIR] [--no-install]
#                [scenario...]
#
# Scenarios (default: all, in this order): datapath pvp containers tunnels scaling idle
# (bench/scenarios/<name>.sh; bench/README.md says what each measures).
# --quick: 1 round of 2 s per measurement (a smoke run, < 5 min; its spreads mean nothing);
# default: REPS=3 interleaved rounds of DUR=5 s (the figures to publish; < 30 min).
# Writes bench/results/<date>-<host>.md (tables: median (min-max), CPU seconds and cost per
# Mpps or Gbit/s, ratios, machine, versions, exact commands), the PNG plots and raw.jsonl under
# bench/results/<date>-<host>/ (or --out DIR); without --out, also the headline tables and plots
# between the top README's bench-suite markers. Exit status: 0 when every system ran; 3 when a
# system failed (reported in the table); 1 when the harness itself broke.
# KEEP_WORK=1 keeps every system's log (scratch directory) for a post-mortem.
set -euo pipefail
export PATH=/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C
BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
ARGS="$*"
ROOT=$(dirname "$BENCH_DIR")
ALL=(datapath pvp containers tunnels scaling idle)
QUICK=0 REPS=3 DUR=5 BUILD=$ROOT/build INSTALL=1 OUT=""
SCENARIOS=()
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) QUICK=1 REPS=1 DUR=2 ;;
    --reps) REPS=$2; shift ;;
    --dur) DUR=$2; shift ;;
    --build) BUILD=$(realpath -m "$2"); shift ;;
    --out) OUT=$2; shift ;;
    --no-install) INSTALL=0 ;;
    -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
    -*) echo "unknown option $1" >&2; exit 2 ;;
    *)
      [ -f "$BENCH_DIR/scenarios/$1.sh" ] || { echo "unknown scenario $1 (${ALL[*]})" >&2; exit 2; }
      SCENARIOS+=("$1") ;;
  esac
  shift
done
[ ${#SCENARIOS[@]} -gt 0 ] || SCENARIOS=("${ALL[@]}")
[ "$(id -u)" = 0 ] || { echo "bench/run.sh needs root (namespaces, hugepages, DPDK)" >&2; exit 1; }
log() { echo "[$(date +%T)] run: $*" >&2; }

# 1. What the suite needs from Debian (bench/packages.txt), only when something is missing.
if [ "$INSTALL" = 1 ]; then
  mapfile -t pkgs < <(sed 's/#.*//' "$BENCH_DIR/packages.txt" | tr ' ' '\n' | grep .)
  missing=()
  for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    log "installing ${missing[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
  fi
fi

# 2. The project, when a binary the scenarios use is missing (incremental build otherwise).
TARGETS=(datapath_fwd pipeline_bench tunnel_bench vswitchd vsctl)
need_build=0
for t in bench/datapath_fwd bench/pipeline_bench bench/tunnel_bench ctl/vswitchd ctl/vsctl; do
  [ -x "$BUILD/$t" ] || need_build=1
done
if [ "$need_build" = 1 ]; then
  log "building ${TARGETS[*]} in $BUILD"
  [ -f "$BUILD/CMakeCache.txt" ] || cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build "$BUILD" -j"$(nproc)" --target "${TARGETS[@]}" >/dev/null
fi

# 3. The scenarios, one after another, each appending records to raw.jsonl.
STAMP=$(date +%Y-%m-%d)-$(hostname -s)
DEFAULT_OUT=""
if [ -z "$OUT" ]; then  # the published place: the top README shows this run's headlines
  OUT=$BENCH_DIR/results/$STAMP DEFAULT_OUT=1
fi
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
RAW=$OUT/raw.jsonl
: >"$RAW"
WORK=$(mktemp -d /tmp/lvs-bench.XXXXXX)
# KEEP_WORK=1 keeps the scratch directory (the systems' logs) for a post-mortem.
trap '[ "${KEEP_WORK:-0}" = 1 ] && log "logs kept in $WORK" || rm -rf "$WORK"' EXIT
export BENCH_DIR BUILD RAW WORK REPS DUR QUICK
START=$(date +%s)
broken=()
for s in "${SCENARIOS[@]}"; do
  log "== scenario $s (REPS=$REPS DUR=${DUR}s)"
  t0=$(date +%s)
  if ! "$BENCH_DIR/scenarios/$s.sh"; then
    log "*** scenario $s BROKE (harness error; see above) ***"
    broken+=("$s")
  fi
  log "== scenario $s took $(($(date +%s) - t0)) s"
done

# 4. The report: tables, plots, machine description.
python3 "$BENCH_DIR/report.py" --raw "$RAW" --out "$OUT" \
  --md "$(dirname "$OUT")/$(basename "$OUT").md" --quick "$QUICK" --reps "$REPS" --dur "$DUR" \
  --seconds $(($(date +%s) - START)) --command "bench/run.sh $ARGS" \
  --scenarios "${SCENARIOS[*]}" --broken "${broken[*]}" --root "$ROOT" \
  ${DEFAULT_OUT:+--readme "$ROOT/README.md"}
if [ ${#broken[@]} -gt 0 ]; then exit 1; fi
if grep -q '"status": "failed"' "$RAW"; then
  log "*** some systems FAILED (see the report) ***"
  exit 3
fi
