#!/usr/bin/env bash
# Scenario 1 - datapath limit, one PMD core, DPDK vdevs, 64-byte frames, REPS interleaved rounds:
#   L2 learned unicast: Lite vSwitch (bench/datapath_fwd) vs dpdk-testpmd io and macswap vs Open
#     vSwitch-DPDK NORMAL, each forwarding between the same two net_null ports;
#   VLAN push/pop: Lite vSwitch (datapath_fwd --vlan) and OVS-DPDK NORMAL, an access and a trunk port;
#   VXLAN encap/decap, GRE encap: the pipeline alone (bench/tunnel_bench, no port I/O) beside
#     learned unicast measured the same way, so that their ratio is the tunnel's cost.
# CPU: each system's process CPU seconds while it ran (one polling core: ~1 core per second).
set -uo pipefail
SCENARIO=datapath
# shellcheck source=bench/lib/common.sh
. "$BENCH_DIR/lib/common.sh"
# shellcheck source=bench/peers/testpmd.sh
. "$BENCH_DIR/peers/testpmd.sh"
# shellcheck source=bench/peers/ovs.sh
. "$BENCH_DIR/peers/ovs.sh"
# shellcheck source=bench/lib/gbench.sh
. "$BENCH_DIR/lib/gbench.sh"

CORE=${CORE:-1} MAIN_CORE=${MAIN_CORE:-0}
FWD=$BUILD/bench/datapath_fwd
UNICAST="L2 learned unicast, 64 B"
VLAN="VLAN push/pop, 64 B"
MEM=(--no-huge --no-shconf -m 1024)
D=$WORK/datapath
mkdir -p "$D"
trap 'ovs_down' EXIT

run_switch() {  # run case [--vlan]
  local r=$1 c=$2 mpps drops
  local -a cmd=("$FWD" --pmd-core "$CORE" --seconds "$DUR" --huge off "${@:3}" net_null0 net_null1)
  timed "$D/cmd" "$D/switch-$r.log" -- timeout $((DUR + 30)) "${cmd[@]}"
  command_of "Lite vSwitch" "${cmd[*]}"
  mpps=$(sed -n 's/^mpps=\([0-9.]*\).*/\1/p' "$D/switch-$r.log")
  # Every frame is a valid learned-unicast frame: a drop means the set-up is wrong, not slow.
  drops=$(sed -n 's/.* drops=\([0-9]*\).*/\1/p' "$D/switch-$r.log")
  [ "${drops:-0}" = 0 ] || mpps=""
  if ! is_number "$mpps" || [ "$mpps" = 0.000 ]; then
    failed "$c" "Lite vSwitch" "datapath_fwd: $(grep -v '^EAL' "$D/switch-$r.log" | tail -2 | tr '\n' ' ')"
    return
  fi
  sample_cpu proc "$c" "Lite vSwitch" Mpps Mpps higher "$mpps" "$r" \
    cycles_per_pkt="$(sed -n 's/.*cycles_per_pkt=\([0-9.]*\).*/\1/p' "$D/switch-$r.log")"
}

run_testpmd() {  # run mode
  local r=$1 mode=$2 mpps
  local -a cmd=(dpdk-testpmd "${MEM[@]}" --file-prefix "lvsbench$$" -l "$MAIN_CORE,$CORE" --no-pci
    --no-telemetry --vdev net_null0 --vdev net_null1 -- --forward-mode="$mode" --nb-cores=1
    --auto-start --stats-period 1 --total-num-mbufs=32768)
  testpmd_run 2 "$D/testpmd-$mode-$r.log" "${cmd[@]}"
  command_of "testpmd $mode" "${cmd[*]}"
  mpps=$RESULT
  is_number "$mpps" || { failed "$UNICAST" "testpmd $mode" "no Rx-pps: $(tail -2 "$D/testpmd-$mode-$r.log" | tr '\n' ' ')"; return; }
  sample_cpu proc "$UNICAST" "testpmd $mode" Mpps Mpps higher "$mpps" "$r"
}

# OVS-DPDK: both net_null ports are sources; an OpenFlow rule per port gives their (all-zero)
# frames unicast MACs, NORMAL forwards them to the other port (static FDB entries). --vlan: n0 is
# an access port of VLAN 10 and n1 a trunk whose frames get tag 10 from the same rule (net_null
# frames carry none), so NORMAL pushes the tag towards n1 and pops it towards n0, as datapath_fwd
# --vlan does.
ovs_tx() {  # live port counters (the Interface table's statistics are refreshed only every 5 s)
  ovs-ofctl dump-ports br-null | sed -n 's/.*tx pkts=\([0-9]*\).*/\1/p' | awk '{s += $1} END {print s + 0}'
}
run_ovs() {  # round case [--vlan]
  local r=$1 c=$2 vlan=${3:-} a b t0 t1 err p sys="OVS-DPDK NORMAL" vid=0 tag=() push=""
  if [ -n "$vlan" ]; then vid=10 tag=(-- set Port n0 tag=10) push="mod_vlan_vid:10,"; fi
  ovs_up dpdk || { failed "$c" "$sys" "$OVS_ERROR"; ovs_down; return; }
  if ! ovs-vsctl add-br br-null -- set bridge br-null datapath_type=netdev -- \
    add-port br-null n0 -- set Interface n0 type=dpdk options:dpdk-devargs=net_null0 -- \
    add-port br-null n1 -- set Interface n1 type=dpdk options:dpdk-devargs=net_null1 "${tag[@]}"; then
    failed "$c" "$sys" "add-port refused"
    ovs_down
    return
  fi
  for p in n0 n1; do
    err=$(ovs_iface_ok $p) || { failed "$c" "$sys" "$p: $err"; ovs_down; return; }
  done
  appctl fdb/add br-null n0 "$vid" 02:00:00:00:00:01 >/dev/null
  appctl fdb/add br-null n1 "$vid" 02:00:00:00:00:02 >/dev/null
  ovs-ofctl del-flows br-null
  ovs-ofctl add-flow br-null "in_port=n0,actions=mod_dl_src:02:00:00:00:00:01,mod_dl_dst:02:00:00:00:00:02,NORMAL"
  ovs-ofctl add-flow br-null "in_port=n1,actions=${push}mod_dl_src:02:00:00:00:00:02,mod_dl_dst:02:00:00:00:00:01,NORMAL"
  command_of "$sys${vlan:+ (VLAN)}" "ovs-vswitchd-dpdk (OVS $(ovs_version)), pmd-cpu-mask=core $CORE, br-null: n0=net_null0 n1=net_null1${vlan:+ (n0 tag=10)}; flows in_port=nX,actions=${push:+[n1: $push]}mod_dl_src,mod_dl_dst,NORMAL; fdb/add static entries"
  sleep 2
  appctl dpif-netdev/pmd-stats-clear >/dev/null
  a=$(ovs_tx) t0=$(date +%s.%N)
  cpu_begin "$(ovs_pid)"
  sleep "$DUR"
  cpu_end
  b=$(ovs_tx) t1=$(date +%s.%N)
  local mpps cyc
  mpps=$(awk -v a="$a" -v b="$b" -v t0="$t0" -v t1="$t1" 'BEGIN{printf "%.3f", (b-a)/(t1-t0)/1e6}')
  cyc=$(ovs_pmd_cycles)
  ovs_down
  [ "$mpps" = 0.000 ] && { failed "$c" "$sys" "no frames forwarded"; return; }
  sample_cpu proc "$c" "$sys" Mpps Mpps higher "$mpps" "$r" cycles_per_pkt="${cyc:-0}"
}

[ -x "$FWD" ] || { loud "missing $FWD"; exit 1; }
command -v dpdk-testpmd >/dev/null || { loud "missing dpdk-testpmd"; exit 1; }
note "net_null ports (no NIC, no kernel): the frames' only cost is the forwarder itself." \
  "Lite vSwitch and testpmd: EAL --no-huge; OVS-DPDK needs hugepages. One PMD core ($CORE) each."
for r in $(seq 1 "$REPS"); do
  log "round $r of $REPS"
  run_switch "$r" "$UNICAST"
  run_testpmd "$r" io
  run_testpmd "$r" macswap
  run_ovs "$r" "$UNICAST"
  run_switch "$r" "$VLAN" --vlan
  run_ovs "$r" "$VLAN" --vlan
done
not_available "$VLAN" "testpmd io" "testpmd has no VLAN forwarding mode"

# Tunnels: the pipeline alone (no ports), learned unicast measured the same way beside it.
if [ "$(id -u)" = 0 ] && [ -x "$BUILD/bench/tunnel_bench" ]; then
  if ! gbench_run "$BUILD/bench/tunnel_bench" . "$D/tunnel.json"; then
    failed "pipeline only: VXLAN encap" "Lite vSwitch" "tunnel_bench: $(tail -2 "$D/tunnel.json.log" | tr '\n' ' ')"
    exit 0
  fi
  gbench_rows "$D/tunnel.json" | while read -r name rep ns cpu; do
    case $name in
      BM_LearnedUnicastReference) c="pipeline only: learned unicast" ;;
      BM_VxlanEncap) c="pipeline only: VXLAN encap" ;;
      BM_VxlanDecap) c="pipeline only: VXLAN decap" ;;
      BM_GreEncap) c="pipeline only: GRE encap" ;;
      *) continue ;;
    esac
    if [ "$rep" = error ]; then failed "$c" "Lite vSwitch" "$ns"; continue; fi
    sample "$c" "Lite vSwitch" Mpps Mpps higher "$(awk -v n="$ns" 'BEGIN{printf "%.3f", 1000/n}')" "$rep" \
      ns_per_pkt="$ns" cpu_s="$cpu" wall_s="$cpu"
  done
else
  failed "pipeline only: VXLAN encap" "Lite vSwitch" "tunnel_bench needs root and $BUILD/bench/tunnel_bench"
fi
exit 0
