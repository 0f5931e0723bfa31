# shellcheck shell=bash disable=SC2034  # sourced: its variables are the callers'
# dpdk-testpmd as a peer (io and macswap forwarding; bench/scenarios/datapath.sh, scaling.sh).
#   testpmd_run PORTS LOG CMD... : runs CMD (a testpmd with --stats-period 1) until it printed
#       2 + DUR seconds of statistics (start-up takes a variable time on a busy machine), then
#       stops it. Sets RESULT (Mpps: the median of the per-second Rx-pps summed over PORTS, the
#       first two seconds dropped; empty when there is none) and the CPU fields (cpu_end).
testpmd_run() {
  local ports=$1 log=$2 pid i want
  shift 2
  want=$((ports * (DUR + 2)))
  "$@" >"$log" 2>&1 &
  pid=$!
  cpu_begin "$pid"
  for ((i = 0; i < 10 * (DUR + 40); i++)); do
    kill -0 "$pid" 2>/dev/null || break
    [ "$(grep -c 'Rx-pps' "$log")" -ge "$want" ] && break
    sleep 0.1
  done
  cpu_end
  kill -INT "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  RESULT=$(grep -o 'Rx-pps: *[0-9]*' "$log" | awk '{print $2}' |
    awk -v n="$ports" '{s += $1} NR % n == 0 {print s / 1e6; s = 0}' | tail -n +3 | sort -g |
    awk '{v[NR] = $1} END {if (NR > 0) printf "%.3f\n", v[int((NR + 1) / 2)]}')
}
