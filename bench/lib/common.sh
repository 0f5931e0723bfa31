# shellcheck shell=bash disable=SC2034  # sourced: its variables are the callers'
# Shared by bench/run.sh and bench/scenarios/*.sh: logging, raw records (JSON lines), CPU
# accounting and small helpers. Sourced with these set by run.sh: BENCH_DIR (bench/), BUILD
# (build directory), RAW (raw.jsonl to append to), WORK (scratch directory), REPS, DUR, QUICK.

log() { echo "[$(date +%T)] ${SCENARIO:-bench}: $*" >&2; }
loud() {  # a failure the reader must not miss
  echo "[$(date +%T)] ${SCENARIO:-bench}: *** $* ***" >&2
}

# emit KEY=VALUE... : appends one JSON object to $RAW. Values that parse as numbers are stored
# as numbers, except the text fields. Record kinds (type=):
#   sample  scenario case system metric unit better=higher|lower value run [cpu_s wall_s x]
#   status  scenario case system status="failed"|"not available" reason
#   cmd     scenario system cmd            (the exact command line a system ran)
#   note    scenario text
emit() {
  python3 - "$@" >>"$RAW" <<'PY'
import json, sys
text = {"type", "scenario", "case", "system", "metric", "unit", "better", "status", "reason",
        "cmd", "text", "x_label"}
d = {}
for arg in sys.argv[1:]:
    k, _, v = arg.partition("=")
    if k not in text:
        try:
            v = float(v)
        except ValueError:
            pass
    d[k] = v
print(json.dumps(d))
PY
}

sample() {  # case system metric unit better value run [extra KEY=VALUE...]
  emit type=sample scenario="$SCENARIO" case="$1" system="$2" metric="$3" unit="$4" \
    better="$5" value="$6" run="$7" "${@:8}"
}
sample_cpu() {  # proc|all case system metric unit better value run [extra...]: with CPU fields
  local mode=$1
  local -a f
  shift
  mapfile -t f < <(cpu_fields "$mode")
  sample "$@" "${f[@]}"
}
failed() {  # case system reason: a system that did not start or did not run
  loud "$2 FAILED ($1): $3"
  emit type=status scenario="$SCENARIO" case="$1" system="$2" status=failed reason="$3"
}
not_available() {  # case system reason: a system that cannot do this case at all
  log "$2 not available ($1): $3"
  emit type=status scenario="$SCENARIO" case="$1" system="$2" status="not available" reason="$3"
}
command_of() { emit type=cmd scenario="$SCENARIO" system="$1" cmd="$2"; }
note() { emit type=note scenario="$SCENARIO" text="$*"; }

is_number() { [[ ${1:-} =~ ^[0-9]+([.][0-9]+)?$ ]]; }

# ---- CPU accounting (issue 8): what each system consumed while it was measured.
CLK_TCK=$(getconf CLK_TCK)
pid_cpu_ticks() {  # PID... -> utime+stime of those processes (all threads), in ticks
  local p total=0 t
  for p in "$@"; do
    [[ $p =~ ^[0-9]+$ ]] || continue
    # Field 2 (comm) may hold spaces: count from the closing parenthesis.
    t=$(sed 's/^.*) //' "/proc/$p/stat" 2>/dev/null | awk '{print $12 + $13}')
    total=$((total + ${t:-0}))
  done
  echo "$total"
}
softirq_ticks() { awk '/^cpu /{print $8}' /proc/stat; }  # every CPU's softirq time
# Every CPU's busy time, whoever used it: user+nice+system+irq+softirq+steal (idle and iowait
# excluded; guest time is already inside user).
machine_busy_ticks() { awk '/^cpu /{print $2 + $3 + $4 + $7 + $8 + $9}' /proc/stat; }

# cpu_begin PID... ; (measure) ; cpu_end  -> sets CPU_PROC_S (the processes' CPU seconds),
# CPU_SIRQ_S (kernel softirq seconds, all CPUs: the kernel datapath's work, and every stack's),
# CPU_MACHINE_S (busy seconds of all CPUs, machine_busy_ticks) and WALL_S. Kernel systems pass
# no PID.
cpu_begin() {
  CPU_PIDS=("$@")
  CPU_P0=$(pid_cpu_ticks "$@") CPU_S0=$(softirq_ticks) CPU_M0=$(machine_busy_ticks)
  CPU_T0=$(date +%s.%N)
}
cpu_end() {
  local p1 s1 m1 t1
  p1=$(pid_cpu_ticks "${CPU_PIDS[@]}") s1=$(softirq_ticks) m1=$(machine_busy_ticks)
  t1=$(date +%s.%N)
  read -r CPU_PROC_S CPU_SIRQ_S CPU_MACHINE_S WALL_S < <(awk -v p0="$CPU_P0" -v p1="$p1" \
    -v s0="$CPU_S0" -v s1="$s1" -v m0="$CPU_M0" -v m1="$m1" -v t0="$CPU_T0" -v t1="$t1" \
    -v hz="$CLK_TCK" 'BEGIN{printf "%.2f %.2f %.2f %.2f\n", (p1-p0)/hz, (s1-s0)/hz, (m1-m0)/hz, t1-t0}')
}
# cpu_fields proc|all : the KEY=VALUE fields of the last cpu_end/timed, for sample(). cpu_s is
# the figure the report charges the system with: proc = its processes only (DPDK systems, whose
# kernel does nothing for them), all = processes + softirq (systems whose frames cross the
# kernel: the Linux bridge's datapath IS softirq, and a userspace switch's veths cause some).
cpu_fields() {
  local used=$CPU_PROC_S
  [ "${1:-all}" = all ] && used=$(awk -v a="$CPU_PROC_S" -v b="$CPU_SIRQ_S" 'BEGIN{printf "%.2f", a+b}')
  echo "cpu_s=$used"
  echo "cpu_proc_s=$CPU_PROC_S"
  echo "cpu_softirq_s=$CPU_SIRQ_S"
  echo "wall_s=$WALL_S"
}

# timed CMDFILE LOG -- CMD... : runs CMD (stdout+stderr to LOG) and sets CPU_PROC_S (user+sys of
# CMD and its children), CPU_SIRQ_S and WALL_S; writes the command line to CMDFILE.
timed() {
  local cmdfile=$1 out=$2 s0 s1 tf u s
  shift 3
  echo "$*" >"$cmdfile"
  tf=$(mktemp)
  s0=$(softirq_ticks)
  local TIMEFORMAT='%R %U %S'
  { time "$@" >"$out" 2>&1; } 2>"$tf" || true
  s1=$(softirq_ticks)
  read -r WALL_S u s <"$tf"
  rm -f "$tf"
  CPU_PROC_S=$(awk -v u="$u" -v s="$s" 'BEGIN{printf "%.2f", u+s}')
  CPU_SIRQ_S=$(awk -v a="$s0" -v b="$s1" -v hz="$CLK_TCK" 'BEGIN{printf "%.2f", (b-a)/hz}')
}

wait_for() {  # TRIES COMMAND... : retries every 0.1 s
  local n=$1 i
  shift
  for ((i = 0; i < n; i++)); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done
  return 1
}

kill_wait() {  # PID: TERM, up to 10 s, then KILL
  local p=$1 i
  [ -n "$p" ] || return 0
  kill "$p" 2>/dev/null || return 0
  for ((i = 0; i < 100; i++)); do kill -0 "$p" 2>/dev/null || return 0; sleep 0.1; done
  kill -9 "$p" 2>/dev/null || true
}

kill_tree() {  # PID: that process and all its descendants (by pid, children first), TERM then KILL
  local p=$1 c
  [ -n "$p" ] || return 0
  for c in $(pgrep -P "$p"); do kill_tree "$c"; done
  kill_wait "$p"
}
