#!/usr/bin/env bash
# Scenario 5 - how cost grows, REPS interleaved rounds per point:
#   Mpps vs frame size (64..1518 B): Lite vSwitch (datapath_fwd) and testpmd io on net_null;
#   Mpps vs MAC table size (1 K..1 M) and vs ports on the bridge (2..1,000; learned unicast and
#     flood): the pipeline alone (bench/pipeline_bench, no port I/O);
#   Mpps vs PMD cores (1, 2): datapath_fwd and testpmd io, two net_null ports;
#   control-plane latency vs ports: vsctl add-port + del-port round trips against a vswitchd
#     that already has N internal ports (taps, in a private namespace).
set -uo pipefail
SCENARIO=scaling
# shellcheck source=bench/lib/common.sh
. "$BENCH_DIR/lib/common.sh"
# shellcheck source=bench/peers/testpmd.sh
. "$BENCH_DIR/peers/testpmd.sh"
# shellcheck source=bench/lib/gbench.sh
. "$BENCH_DIR/lib/gbench.sh"
# shellcheck source=bench/peers/lvs.sh
. "$BENCH_DIR/peers/lvs.sh"
FWD=$BUILD/bench/datapath_fwd
D=$WORK/scaling
SIZES=(64 128 256 512 1024 1518) CTL_PORTS=(2 10 100 1000) CTL_TRIPS=20
if [ "$QUICK" = 1 ]; then SIZES=(64 1518) CTL_PORTS=(2 100) CTL_TRIPS=5; fi
MEM=(--no-huge --no-shconf -m 1024)
DUR=$((DUR < 3 ? DUR : 3))  # many points: 3 s each keeps the full suite under 30 minutes
mkdir -p "$D"
trap 'lvs_down ctl; ip netns del lvs-ctl 2>/dev/null' EXIT

switch_point() {  # case x x_label round pmd-cores devargs...
  local c=$1 x=$2 xl=$3 r=$4 cores=$5 mpps drops lost
  shift 5
  local -a cmd=("$FWD" --pmd-cores "$cores" --seconds "$DUR" --huge off "$@")
  timed "$D/cmd" "$D/sw.log" -- timeout $((DUR + 30)) "${cmd[@]}"
  command_of "Lite vSwitch" "${cmd[*]}"
  mpps=$(sed -n 's/^mpps=\([0-9.]*\).*/\1/p' "$D/sw.log")
  # Every frame is a valid learned-unicast frame: a drop means the set-up is wrong, not slow.
  drops=$(sed -n 's/.* drops=\([0-9]*\).*/\1/p' "$D/sw.log")
  lost=$(sed -n 's/.* unaccounted=\(-*[0-9]*\).*/\1/p' "$D/sw.log")
  [ "${drops:-0}" = 0 ] && [ "${lost:-0}" = 0 ] || mpps=""
  if is_number "$mpps" && [ "$mpps" != 0.000 ]; then
    sample_cpu proc "$c" "Lite vSwitch" Mpps Mpps higher "$mpps" "$r" x="$x" x_label="$xl"
  else
    failed "$c" "Lite vSwitch" "$xl $x: $(grep -v '^EAL' "$D/sw.log" | tail -1)"
  fi
}

testpmd_point() {  # case x x_label round lcores nb-cores size
  local c=$1 x=$2 xl=$3 r=$4 mpps
  local -a cmd=(dpdk-testpmd "${MEM[@]}" --file-prefix "lvsscale$$" --lcores "$5" --no-pci
    --no-telemetry --vdev "net_null0,size=$7" --vdev "net_null1,size=$7" -- --forward-mode=io
    --nb-cores="$6" --auto-start --stats-period 1 --total-num-mbufs=32768)
  testpmd_run 2 "$D/tp.log" "${cmd[@]}"
  command_of "testpmd io" "${cmd[*]}"
  mpps=$RESULT
  if is_number "$mpps"; then
    sample_cpu proc "$c" "testpmd io" Mpps Mpps higher "$mpps" "$r" x="$x" x_label="$xl"
  else
    failed "$c" "testpmd io" "$xl $x: $(tail -1 "$D/tp.log")"
  fi
}

ctl_latency() {  # round
  local r=$1 n have=0 i t0 t1 ms=()
  ip netns add lvs-ctl 2>/dev/null
  if ! lvs_up ctl lvs-ctl; then failed "vsctl add-port + del-port" "Lite vSwitch" "$LVS_ERROR"; return; fi
  lvsctl ctl add-br ctlbr >/dev/null
  for n in "${CTL_PORTS[@]}"; do
    # Grow the bridge to n ports in one transaction (internal ports: taps).
    local -a add=()
    for ((i = have; i < n; i++)); do add+=(-- add-port ctlbr "t$i" -- set Interface "t$i" type=internal); done
    if [ ${#add[@]} -gt 0 ] && ! lvsctl ctl "${add[@]:1}" >/dev/null 2>"$D/ctl.err"; then
      failed "vsctl add-port + del-port" "Lite vSwitch" "growing to $n ports: $(cat "$D/ctl.err")"
      break
    fi
    have=$n
    ms=()
    for ((i = 0; i < CTL_TRIPS; i++)); do
      t0=$(date +%s%N)
      if ! lvsctl ctl add-port ctlbr probe -- set Interface probe type=internal >/dev/null ||
        ! lvsctl ctl del-port ctlbr probe >/dev/null; then
        ms=()
        break
      fi
      t1=$(date +%s%N)
      ms+=("$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.2f", (b-a)/1e6}')")
    done
    if [ ${#ms[@]} -eq 0 ]; then
      failed "vsctl add-port + del-port" "Lite vSwitch" "round trip refused at $n ports"
      break
    fi
    sample "vsctl add-port + del-port" "Lite vSwitch" "round trip" ms lower \
      "$(printf '%s\n' "${ms[@]}" | sort -g | awk '{v[NR]=$1} END{print v[int((NR+1)/2)]}')" "$r" \
      x="$n" x_label="ports on the bridge"
  done
  command_of "Lite vSwitch (control plane)" "$LVS_CMD; then per point: vsctl add-port ctlbr probe -- set Interface probe type=internal; vsctl del-port ctlbr probe (median of $CTL_TRIPS, each a new vsctl process)"
  lvs_down ctl
  ip netns del lvs-ctl
}

[ -x "$FWD" ] || { loud "missing $FWD"; exit 1; }
note "Frame size and PMD cores: net_null ports (devargs size=N), EAL --no-huge, $DUR s per point. Table size and ports:" \
  "the pipeline alone (pipeline_bench: bursts of 32 made, switched and freed; no port I/O)." \
  "Control plane: each round trip includes starting two vsctl processes."
for r in $(seq 1 "$REPS"); do
  log "round $r of $REPS: frame sizes ${SIZES[*]}, PMD cores 1 and 2"
  for s in "${SIZES[@]}"; do
    switch_point "Mpps vs frame size" "$s" "frame bytes" "$r" 1 "net_null0,size=$s" "net_null1,size=$s"
    testpmd_point "Mpps vs frame size" "$s" "frame bytes" "$r" "0@0,1@1" 1 "$s"
  done
  switch_point "Mpps vs PMD cores" 1 "PMD cores" "$r" 1 net_null0 net_null1
  testpmd_point "Mpps vs PMD cores" 1 "PMD cores" "$r" "0@0,1@1" 1 64
  switch_point "Mpps vs PMD cores" 2 "PMD cores" "$r" 0,1 net_null0 net_null1
  testpmd_point "Mpps vs PMD cores" 2 "PMD cores" "$r" "0@0,1@0,2@1" 2 64
  ctl_latency "$r"
done

log "pipeline_bench: table sizes and ports"
if gbench_run "$BUILD/bench/pipeline_bench" 'BM_LearnedUnicastTable|BM_LearnedUnicastPorts|BM_FloodPorts' "$D/pipe.json"; then
  gbench_rows "$D/pipe.json" | while read -r name rep ns cpu; do
    case $name in
      BM_LearnedUnicastTable/*) c="learned unicast vs MAC table size (pipeline only)" xl="MACs in the table" ;;
      BM_LearnedUnicastPorts/*) c="learned unicast vs ports (pipeline only)" xl="ports on the bridge" ;;
      BM_FloodPorts/*) c="flood vs ports (pipeline only)" xl="ports on the bridge" ;;
      *) continue ;;
    esac
    x=${name#*/}
    x=${x%%/*}
    if [ "$rep" = error ]; then failed "$c" "Lite vSwitch" "$xl $x: $ns"; continue; fi
    sample "$c" "Lite vSwitch" "frames in" Mpps higher "$(awk -v n="$ns" 'BEGIN{printf "%.3f", 1000/n}')" \
      "$rep" x="$x" x_label="$xl" ns_per_pkt="$ns" cpu_s="$cpu" wall_s="$cpu"
  done
else
  failed "learned unicast vs MAC table size (pipeline only)" "Lite vSwitch" "pipeline_bench: $(tail -2 "$D/pipe.json.log")"
fi
exit 0
