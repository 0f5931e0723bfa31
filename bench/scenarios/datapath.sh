#!/usr/bin/env bash
# Scenario 1 - datapath limit, DPDK vdevs, REPS interleaved rounds:
#   L2 learned unicast (1 station, 64 B, one PMD core): Lite vSwitch (bench/datapath_fwd) vs
#     dpdk-testpmd io and macswap vs Open vSwitch-DPDK NORMAL, each forwarding between the same two
#     net_null ports;
#   VLAN push/pop: Lite vSwitch (datapath_fwd --case vlan) and OVS-DPDK NORMAL, an access and a
#     trunk port;
#   the station matrix (datapath_fwd --stations N --case C, frames written afresh by its station
#     source): stations 1, 1 K, 64 K, 1 M x ports 2, 4, 8 x 64 and 1518 B x unicast, VLAN push,
#     VLAN pop, trunk-to-trunk (and flood to 8 ports) x 1 and 2 PMD cores; testpmd io and
#     macswap on the same net_null ports, sizes and cores;
#   the same frames for both: net_pcap ports replaying bench/station_pcap.py's files
#     (infinite_rx) through Lite vSwitch and testpmd io/macswap, 1 K and 64 K stations;
#   VXLAN encap/decap, GRE encap: the pipeline alone (bench/tunnel_bench, no port I/O) beside
#     learned unicast measured the same way, so that their ratio is the tunnel's cost.
# --quick (QUICK=1): the headline cases, unicast at 1 and 64 K stations on 2 ports, and the same
# frames at 16 K stations (a net_pcap file larger than the old 8 K pool). The full matrix is
# about 220 runs of DUR + ~3 s (~30 min at DUR=5), run MATRIX_REPS times (default 1), not REPS;
# STATIONS, PORTS, SIZES, CASES, PMDS override its axes.
# A case where Lite vSwitch drops or loses a frame fails (datapath_fwd exits 3; no figure).
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

CORE=${CORE:-1} CORE2=${CORE2:-2} MAIN_CORE=${MAIN_CORE:-0}
FWD=$BUILD/bench/datapath_fwd
UNICAST="L2 learned unicast, 64 B"
VLAN="VLAN push/pop, 64 B"
MEM=(--no-huge --no-shconf -m 1024)
D=$WORK/datapath
mkdir -p "$D"
trap 'ovs_down' EXIT

# run_switch ROUND CASE [DATAPATH_FWD ARGS...] [-- DEVARGS...] (default devargs: 2 net_null).
# Extra sample fields from the environment: X (the matrix's x: stations).
run_switch() {
  local r=$1 c=$2 mpps drops lost log
  shift 2
  local -a args=() dev=()
  while [ $# -gt 0 ] && [ "$1" != -- ]; do args+=("$1"); shift; done
  [ $# -gt 0 ] && { shift; dev=("$@"); }
  [ ${#dev[@]} -gt 0 ] || dev=(net_null0 net_null1)
  log=$D/switch-$r-$(echo "$c" | tr -c 'a-zA-Z0-9' _).log
  local -a cmd=("$FWD" --pmd-core "$CORE" --seconds "$DUR" --huge off "${args[@]}" "${dev[@]}")
  timed "$D/cmd" "$log" -- timeout $((DUR + 60)) "${cmd[@]}"
  command_of "Lite vSwitch" "${cmd[*]}"
  mpps=$(sed -n 's/^mpps=\([0-9.]*\).*/\1/p' "$log")
  # Every frame is a valid frame of its case: a drop means the set-up is wrong, not slow.
  drops=$(sed -n 's/.* drops=\([0-9]*\).*/\1/p' "$log")
  lost=$(sed -n 's/.* unaccounted=\(-*[0-9]*\).*/\1/p' "$log")
  [ "${drops:-0}" = 0 ] && [ "${lost:-0}" = 0 ] || mpps=""
  if ! is_number "$mpps" || [ "$mpps" = 0.000 ]; then
    failed "$c" "Lite vSwitch" "datapath_fwd: $(grep -v '^EAL' "$log" | tail -2 | tr '\n' ' ')"
    return
  fi
  sample_cpu proc "$c" "Lite vSwitch" Mpps Mpps higher "$mpps" "$r" ${X:+x="$X" x_label=stations} \
    cycles_per_pkt="$(sed -n 's/.* cycles_per_pkt=\([0-9.]*\).*/\1/p' "$log")" \
    source_cycles_per_pkt="$(sed -n 's/.* source_cycles_per_pkt=\([0-9.]*\).*/\1/p' "$log")"
}

# run_testpmd ROUND MODE [CASE [PMDS [MBUFS [DEVARGS...]]]] (default: $UNICAST, 1 core, 2 net_null).
run_testpmd() {
  local r=$1 mode=$2 c=${3:-$UNICAST} pmds=${4:-1} mbufs=${5:-32768} mpps cores=$CORE v log
  shift 5 2>/dev/null || shift $#
  local -a dev=("$@") vdevs=()
  [ ${#dev[@]} -gt 0 ] || dev=(net_null0 net_null1)
  for v in "${dev[@]}"; do vdevs+=(--vdev "$v"); done
  [ "$pmds" = 2 ] && cores=$CORE,$CORE2
  log=$D/testpmd-$mode-$r-$(echo "$c" | tr -c 'a-zA-Z0-9' _).log
  local -a cmd=(dpdk-testpmd "${MEM[@]}" --file-prefix "lvsbench$$" -l "$MAIN_CORE,$cores" --no-pci
    --no-telemetry "${vdevs[@]}" -- --forward-mode="$mode" --nb-cores="$pmds" --rxq="$pmds"
    --txq="$pmds" --auto-start --stats-period 1 --total-num-mbufs="$mbufs")
  testpmd_run "${#dev[@]}" "$log" "${cmd[@]}"
  command_of "testpmd $mode" "${cmd[*]}"
  mpps=$RESULT
  is_number "$mpps" || { failed "$c" "testpmd $mode" "no Rx-pps: $(tail -2 "$log" | tr '\n' ' ')"; return; }
  sample_cpu proc "$c" "testpmd $mode" Mpps Mpps higher "$mpps" "$r" ${X:+x="$X" x_label=stations}
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

# ---- The station matrix: Lite vSwitch through its station source on net_null ports.
if [ "$QUICK" = 1 ]; then
  STATIONS=${STATIONS:-"1 65536"} PORTS=${PORTS:-2} SIZES=${SIZES:-64} CASES=${CASES:-unicast}
  PMDS=${PMDS:-1} SAME_STATIONS=${SAME_STATIONS:-16384}
else
  STATIONS=${STATIONS:-"1 1024 65536 1048576"} PORTS=${PORTS:-"2 4 8"} SIZES=${SIZES:-"64 1518"}
  CASES=${CASES:-"unicast push pop trunk flood"} PMDS=${PMDS:-"1 2"}
  SAME_STATIONS=${SAME_STATIONS:-"1024 65536"}
fi
MATRIX_REPS=${MATRIX_REPS:-1}
case_title() {  # case -> words
  case $1 in
    unicast) echo "learned unicast" ;; push) echo "VLAN push" ;; pop) echo "VLAN pop" ;;
    trunk) echo "trunk to trunk" ;; flood) echo "flood (unknown dst)" ;; *) echo "$1" ;;
  esac
}
null_ports() {  # N SIZE -> net_null0,size=SIZE ... (one per port)
  local i
  for ((i = 0; i < $1; i++)); do echo "net_null$i,size=$2"; done
}
run_matrix() {  # round
  local r=$1 k p s n m c pm
  local -a dev pmdarg
  for pm in $PMDS; do
    for p in $PORTS; do
      for s in $SIZES; do
        mapfile -t dev < <(null_ports "$p" "$s")
        for k in $CASES; do
          # Flooding is measured where it costs most: every port sends, to 8 ports.
          [ "$k" = flood ] && [ "$p" != 8 ] && continue
          c="$(case_title "$k"), $s B, $p ports, $pm PMD"
          pmdarg=()
          [ "$pm" = 2 ] && pmdarg=(--pmd-cores "$CORE,$CORE2")
          for n in $STATIONS; do
            X=$n run_switch "$r" "$c" --case "$k" --stations "$n" --frame-size "$s" \
              "${pmdarg[@]}" -- "${dev[@]}"
          done
        done
        # testpmd does not read the frames (io) or only swaps their MACs (macswap): one figure
        # per ports x size x cores, beside the matrix's rows (--quick: the headline's only).
        [ "$QUICK" = 1 ] && continue
        for m in io macswap; do
          run_testpmd "$r" "$m" "testpmd on net_null, $s B, $p ports, $pm PMD" "$pm" 32768 "${dev[@]}"
        done
      done
    done
  done
}
# ---- The same frames for both: net_pcap files of N stations per port, replayed (infinite_rx).
run_same_frames() {  # round
  local r=$1 n f0 f1 c="same frames (net_pcap infinite_rx), learned unicast, 64 B, 2 ports, 1 PMD"
  for n in $SAME_STATIONS; do
    f0=$D/stations-$n-p0.pcap f1=$D/stations-$n-p1.pcap
    [ -s "$f1" ] || { python3 "$BENCH_DIR/station_pcap.py" --port 0 --stations "$n" "$f0" &&
      python3 "$BENCH_DIR/station_pcap.py" --port 1 --stations "$n" "$f1"; } ||
      { failed "$c" "Lite vSwitch" "station_pcap.py failed"; continue; }
    local -a dev=("net_pcap0,rx_pcap=$f0,infinite_rx=1" "net_pcap1,rx_pcap=$f1,infinite_rx=1")
    X=$n run_switch "$r" "$c" --stations "$n" -- "${dev[@]}"
    X=$n run_testpmd "$r" io "$c" 1 $((2 * n + 32768)) "${dev[@]}"
    X=$n run_testpmd "$r" macswap "$c" 1 $((2 * n + 32768)) "${dev[@]}"
  done
}

[ -x "$FWD" ] || { loud "missing $FWD"; exit 1; }
command -v dpdk-testpmd >/dev/null || { loud "missing dpdk-testpmd"; exit 1; }
note "net_null ports (no NIC, no kernel): the frames' only cost is the forwarder itself." \
  "Lite vSwitch and testpmd: EAL --no-huge; OVS-DPDK needs hugepages. One PMD core ($CORE) each" \
  "(2 PMD rows: cores $CORE,$CORE2). Lite vSwitch on net_null: its station source writes every" \
  "frame's headers afresh after each rx burst, on the PMD's core (its cost is in the Mpps; the" \
  "cycles/pkt shown exclude it: source_cycles_per_pkt in raw.jsonl)."
for r in $(seq 1 "$REPS"); do
  log "round $r of $REPS"
  run_switch "$r" "$UNICAST"
  run_testpmd "$r" io
  run_testpmd "$r" macswap
  run_ovs "$r" "$UNICAST"
  run_switch "$r" "$VLAN" --case vlan
  run_ovs "$r" "$VLAN" --vlan
done
for r in $(seq 1 "$MATRIX_REPS"); do
  log "station matrix, round $r of $MATRIX_REPS"
  run_matrix "$r"
  run_same_frames "$r"
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
