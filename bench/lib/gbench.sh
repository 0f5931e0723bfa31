# shellcheck shell=bash disable=SC2034  # sourced: its variables are the callers'
# Google Benchmark binaries (pipeline_bench, tunnel_bench) as sources of samples.
#   gbench_run BIN FILTER JSON : runs BIN's cases matching FILTER, REPS repetitions, JSON out
#   gbench_rows JSON           : "name rep ns_per_pkt cpu_s" per repetition
gbench_run() {
  local bin=$1 filter=$2 json=$3 min_time=0.5
  [ "$QUICK" = 1 ] && min_time=0.05
  local -a cmd=("$bin" --benchmark_filter="$filter" --benchmark_repetitions="$REPS"
    --benchmark_min_time="$min_time" --benchmark_out="$json" --benchmark_out_format=json)
  command_of "$(basename "$bin")" "${cmd[*]}"
  "${cmd[@]}" >"$json.log" 2>&1
}
gbench_rows() {
  python3 - "$1" <<'PY'
import json, sys
runs = [b for b in json.load(open(sys.argv[1]))["benchmarks"] if b.get("run_type") == "iteration"]
for b in runs:
    if b.get("error_occurred"):
        print(b["run_name"], "error", b.get("error_message", "").replace(" ", "_"), 0)
        continue
    ns = b.get("ns/pkt")
    cpu_s = b["cpu_time"] * b["iterations"] / 1e9 if b.get("time_unit") == "ns" else 0
    print(b["run_name"], b.get("repetition_index", 0) + 1, "%.3f" % (ns * 1e9 if ns < 1e-3 else ns),
          "%.3f" % cpu_s)
PY
}
