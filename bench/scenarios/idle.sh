#!/usr/bin/env bash
# Idle cost and wake-up latency (issue 8), REPS rounds: through bench/idle_cost.sh, vswitchd's CPU
# with 10 attached containers and no traffic, and ping RTT at 1 ping per 100 ms (every ping finds
# the PMD asleep) and 100 per s, through this switch and the Linux bridge; then the CPU the two
# Open vSwitch peers take with 10 idle veths attached (OVS-DPDK: net_af_packet, one PMD core).
set -uo pipefail
SCENARIO=idle
# shellcheck source=bench/lib/common.sh
. "$BENCH_DIR/lib/common.sh"
# shellcheck source=bench/peers/ovs.sh
. "$BENCH_DIR/peers/ovs.sh"
IDLE=(--build "$BUILD" --no-record)
[ "$QUICK" = 1 ] && IDLE+=(--quick)
SLOW="wake-up: ping RTT, 1 per 100 ms" FAST="ping RTT, 100 per s" CPU="10 containers idle"
out=$WORK/idle.out
OVS_IDLE_S=10
[ "$QUICK" = 1 ] && OVS_IDLE_S=3
NS=lvb-idle
trap 'ovs_down; ip netns del $NS 2>/dev/null' EXIT

ovs_idle() {  # plain|dpdk round: CPU of ovs-vswitchd with 10 idle veths, in % of a core
  local kind=$1 r=$2 sys="OVS userspace (netdev)" i err
  [ "$kind" = dpdk ] && sys="OVS-DPDK (net_af_packet)"
  ip netns add $NS && ip -n $NS link set lo up
  for i in $(seq 1 10); do
    ip -n $NS link add "lvbi$i" type veth peer name "lvbo$i"
    ip -n $NS link set "lvbi$i" up && ip -n $NS link set "lvbo$i" up
  done
  if ! ovs_up "$kind" $NS; then failed "$CPU" "$sys" "$OVS_ERROR"; ovs_down; ip netns del $NS; return; fi
  ovs-vsctl add-br br-idle -- set bridge br-idle datapath_type=netdev
  for i in $(seq 1 10); do
    if [ "$kind" = dpdk ]; then
      ovs-vsctl add-port br-idle "lvbi$i" -- set Interface "lvbi$i" type=dpdk \
        "options:dpdk-devargs=net_af_packet$i,iface=lvbi$i"
    else
      ovs-vsctl add-port br-idle "lvbi$i"
    fi
  done
  sleep 2
  if ! err=$(ovs_iface_ok lvbi10); then
    failed "$CPU" "$sys" "lvbi10: $err"
  else
    cpu_begin "$(ovs_pid)"
    sleep "$OVS_IDLE_S"
    cpu_end
    sample "$CPU" "$sys" CPU "% of a core" lower "$(awk -v c="$CPU_PROC_S" -v w="$WALL_S" 'BEGIN{printf "%.1f", 100*c/w}')" "$r"
  fi
  command_of "$sys" "ovs-vswitchd$([ "$kind" = dpdk ] && echo "-dpdk, PMD core $OVS_PMD_CORE"); br-idle (netdev) with 10 veths$([ "$kind" = dpdk ] && echo " as net_af_packet vdevs"); CPU of ovs-vswitchd over $OVS_IDLE_S s"
  ovs_down
  ip netns del $NS
}
note "The Linux bridge runs no thread of its own: it costs nothing when idle." \
  "Lite vSwitch as shipped (pmd-sleep=adaptive), 10 containers, idle_cost.sh's window" \
  "($([ "$QUICK" = 1 ] && echo 5 || echo 30) s); the Open vSwitch peers: 10 idle veths, $OVS_IDLE_S s."
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
  ovs_idle plain "$r"
  ovs_idle dpdk "$r"
done
exit 0
