#!/usr/bin/env bash
# Idle cost and wake-up latency (issue 8), through bench/idle_cost.sh, REPS rounds: vswitchd's CPU
# with 10 attached containers and no traffic, and ping RTT at 1 ping per 100 ms (every ping finds
# the PMD asleep) and 100 per s, through this switch and the Linux bridge.
set -uo pipefail
SCENARIO=idle
# shellcheck source=bench/lib/common.sh
. "$BENCH_DIR/lib/common.sh"
IDLE=(--build "$BUILD" --no-record)
[ "$QUICK" = 1 ] && IDLE+=(--quick)
SLOW="wake-up: ping RTT, 1 per 100 ms" FAST="ping RTT, 100 per s" CPU="10 containers idle"
out=$WORK/idle.out
note "The Linux bridge runs no thread of its own: it costs nothing when idle." \
  "Lite vSwitch as shipped (pmd-sleep=adaptive)."
command_of "Lite vSwitch and Linux bridge" "bench/idle_cost.sh ${IDLE[*]}"
for r in $(seq 1 "$REPS"); do
  log "round $r of $REPS"
  if ! "$BENCH_DIR/idle_cost.sh" "${IDLE[@]}" >"$out" 2>&1; then
    failed "$CPU" "Lite vSwitch" "idle_cost.sh failed: $(tail -2 "$out" | tr '\n' ' ')"
    continue
  fi
  # | measurement | Linux bridge | Lite vSwitch | ratio | target |
  cell() { grep -F "$1" "$out" | head -1 | awk -F'|' -v c="$2" '{gsub(/ /, "", $c); print $c}'; }
  v=$(cell "CPU of the switch" 4)
  if is_number "$v"; then sample "$CPU" "Lite vSwitch" CPU "% of a core" lower "$v" "$r"
  else failed "$CPU" "Lite vSwitch" "no CPU figure in idle_cost.sh's output"; fi
  for row in "1 per 100 ms:$SLOW" "100 per s:$FAST"; do
    for sys in "3:Linux bridge" "4:Lite vSwitch"; do
      v=$(cell "ping RTT, ${row%%:*}" "${sys%%:*}")
      if is_number "$v"; then sample "${row#*:}" "${sys#*:}" RTT us lower "$v" "$r"
      else failed "${row#*:}" "${sys#*:}" "no RTT in idle_cost.sh's output"; fi
    done
  done
done
exit 0
