#!/usr/bin/env bash
# containers_compare.sh - issue 15's container targets, side by side in one run: two containers
# through the Linux bridge (docker0's datapath), through vswitchd as shipped (kernel offload of
# learnt unicast, the default) and through vswitchd with other_config:kernel-offload=false (the
# userspace AF_PACKET path, adaptive PMD sleep), and (NOBIGTCP=1, the default) with the offload
# but other_config:big-tcp=false: the containers' veths at the kernel's 64 KiB GSO size instead of
# BIG TCP's 192 KiB (ctl/big_tcp_sync.hpp; the daemon turns it on in lvc-h, which has no default
# route, and would keep it off on a host whose uplink NIC takes no TSO frame over 64 KiB).
# AFPACKET=1 adds bench/afpacket_fwd (the
# Datapath alone, adaptive sleep, on the bridge's veths taken out of the bridge).
#
#   sudo nice -n -15 bench/containers_compare.sh [BUILD_DIR]     (default BUILD_DIR: build)
#
# Topologies (lib/topology.sh), both up all along: a Linux bridge in namespace lvc-l with
# containers lvc-l1, lvc-l2 (10.97.1.1-2); vswitchd in namespace lvc-h playing the host, with N
# containers lvc-c1..cN attached by vsattach (10.97.0.i), so the vswitchd rows and the idle
# figure have N ports. Containers keep the kernel's default offloads. Per round, each system in
# turn (vswitchd's rows switch kernel-offload on the running daemon), c1 -> c2:
#   TCP 1 stream and 8 streams (iperf3 -P 8), Gbit/s received; CPU s per Gbit: the busy time of
#     every CPU of the machine during the test (/proc/stat: user+nice+system+irq+softirq+steal,
#     idle and iowait excluded) / the test's wall time / Gbit/s = CPU seconds per Gbit carried
#     (whatever else runs on the machine counts too: compare on a quiet machine);
#   UDP 64 B (iperf3 -u -l 64): the bridge's unthrottled (-b 0) received rate first, then every
#     system at that offered rate (received pps, loss %), and every system unthrottled;
#   the same with trafgen (64-byte frames, one thread, -b <the bridge's received pps>pps),
#     counted on the interfaces (TRAFGEN=0 skips it);
#   ping -i 0.01 (FAST_PINGS) and -i 0.1 (SLOW_PINGS): RTT average and p50;
#   sockperf ping-pong, 64-byte messages, DUR s: p50 and p99;
# then vswitchd's CPU (% of one core, all its threads) over IDLE_S s with the N containers
# attached and quiet, offload on and off. Prints one table (medians, ratios to the bridge,
# the issue's targets, pass/FAIL decided by the numbers: containers_targets.py) and every run.
# Knobs (environment): REPS=2 DUR=3 N=10 IDLE_S=10 FAST_PINGS=200 SLOW_PINGS=20 TRAFGEN=1
#   AFPACKET=0 NOBIGTCP=1 RAW_OUT=FILE (keep the raw records) KEEP_WORK=1 (keep logs). Defaults: ~4 min.
# Everything it creates (lvc-* namespaces, vswitchd, servers) is removed at exit, Ctrl-C too.
set -u
export PATH=/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C
BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
BUILD=$(realpath -m "${1:-$BENCH_DIR/../build}")
REPS=${REPS:-2} DUR=${DUR:-3} N=${N:-10} IDLE_S=${IDLE_S:-10} TRAFGEN=${TRAFGEN:-1}
FAST_PINGS=${FAST_PINGS:-200} SLOW_PINGS=${SLOW_PINGS:-20} AFPACKET=${AFPACKET:-0}
NOBIGTCP=${NOBIGTCP:-1}
SCENARIO=containers-vswitchd
WORK=$(mktemp -d /tmp/lvs-containers.XXXXXX)
RAW=$WORK/raw.jsonl
# shellcheck source=bench/lib/common.sh
. "$BENCH_DIR/lib/common.sh"
# shellcheck source=bench/lib/measure.sh
. "$BENCH_DIR/lib/measure.sh"
# shellcheck source=bench/peers/lvs.sh
. "$BENCH_DIR/peers/lvs.sh"
# shellcheck source=bench/lib/topology.sh
. "$BENCH_DIR/lib/topology.sh"

P=lvc NETS=10.97.0 NETB=10.97.1
B="Linux bridge" ON="vswitchd, kernel offload (default)" OFF="vswitchd, kernel-offload=false"
NOBIG="vswitchd, kernel offload, big-tcp=false"
AF="afpacket_fwd (Datapath alone)"
AF_PID=""
# shellcheck disable=SC2317  # run by the EXIT trap
cleanup() {
  [ -n "$AF_PID" ] && kill_wait "$AF_PID"
  topology_down sw "$P"
  if [ "${KEEP_WORK:-0}" = 1 ]; then log "logs kept in $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'loud interrupted; exit 130' INT TERM

[ "$(id -u)" = 0 ] || { loud "needs root (network namespaces)"; exit 1; }
for b in ctl/vswitchd ctl/vsctl ctl/vsattach; do
  [ -x "$BUILD/$b" ] || { loud "build $BUILD/$b first"; exit 1; }
done
[ "$AFPACKET" = 1 ] && { [ -x "$BUILD/bench/afpacket_fwd" ] || { loud "build afpacket_fwd first"; exit 1; }; }
for t in iperf3 ping sockperf python3 ss; do command -v $t >/dev/null || { loud "missing $t"; exit 1; }; done
[ "$TRAFGEN" = 1 ] && { command -v trafgen >/dev/null || { loud "missing trafgen (netsniff-ng)"; exit 1; }; }

START=$(date +%s)
log "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
topology_down sw "$P"  # what an earlier, killed run may have left
bridge_up "$P" "$NETB" || { loud "Linux bridge topology failed"; exit 1; }
vswitchd_up sw "$P" "$NETS" "$N" || { loud "vswitchd topology: $TOPOLOGY_ERROR"; exit 1; }

offloaded_packets() {  # the packets of every entry dpif/offload-show lists
  lvsctl sw dpif/offload-show 2>/dev/null | sed -n 's/.* packets:\([0-9]*\) .*/\1/p' |
    awk '{s += $1} END{print s + 0}'
}

# use SYSTEM: points CL/SV/IP at its containers, configures it, checks connectivity.
use() {
  SYS=$1 MEASURE_PIDS=()
  case "$1" in
    "$B" | "$AF") CL=$P-l1 SV=$P-l2 IP=$NETB.2 ;;
    *) CL=$P-c1 SV=$P-c2 IP=$NETS.2 MEASURE_PIDS=("${LVS_PID[sw]}") ;;
  esac
  case "$1" in
    "$ON") lvsctl sw set Open_vSwitch . other_config:kernel-offload=true other_config:big-tcp=true ;;
    "$OFF") lvsctl sw set Open_vSwitch . other_config:kernel-offload=false other_config:big-tcp=true ;;
    "$NOBIG") lvsctl sw set Open_vSwitch . other_config:kernel-offload=true other_config:big-tcp=false ;;
    "$AF")
      ip -n "$P-l" link set v1 nomaster && ip -n "$P-l" link set v2 nomaster
      rm -f "$WORK/af.ready"
      ip netns exec "$P-l" "$BUILD/bench/afpacket_fwd" --ready-file "$WORK/af.ready" v1 v2 \
        >"$WORK/afpacket_fwd.log" 2>&1 &
      AF_PID=$!
      wait_for 100 test -f "$WORK/af.ready" || { loud "afpacket_fwd did not start"; return 1; }
      MEASURE_PIDS=("$AF_PID") ;;
  esac
  ip netns exec "$CL" ping -q -c 3 -i 0.1 -W 1 "$IP" >/dev/null || return 1
  OFFLOADED0=$(offloaded_packets)
}
unuse() {
  local off
  off=$(($(offloaded_packets) - OFFLOADED0))
  [ "$SYS" = "$ON" ] || [ "$SYS" = "$OFF" ] && log "$SYS: $off packets carried by the kernel offload"
  [ "$SYS" = "$OFF" ] && [ "$off" -gt 0 ] && loud "$OFF: the offload carried $off packets"
  [ "$SYS" = "$ON" ] && [ "$off" -eq 0 ] && loud "$ON: nothing was offloaded"
  if [ "$SYS" = "$AF" ]; then
    kill_wait "$AF_PID"
    AF_PID=""
    ip -n "$P-l" link set v1 master br0 && ip -n "$P-l" link set v2 master br0
  fi
  return 0
}

CASES=()
cases_of() {  # the cases every system records, for failed()
  CASES=("TCP 1 stream" "TCP 8 streams" "CPU per Gbit, TCP 1 stream" "CPU per Gbit, TCP 8 streams"
    "UDP 64 B iperf3 at the bridge's rate: received" "UDP 64 B iperf3 at the bridge's rate: loss"
    "UDP 64 B iperf3 -b 0: received" "UDP 64 B iperf3 -b 0: loss")
  [ "$TRAFGEN" = 1 ] && CASES+=("UDP 64 B trafgen at the bridge's rate: received"
    "UDP 64 B trafgen at the bridge's rate: loss" "UDP 64 B trafgen unthrottled: received"
    "UDP 64 B trafgen unthrottled: loss")
  CASES+=("ping 100/s: avg" "ping 100/s: p50" "ping 10/s: avg" "ping 10/s: p50"
    "sockperf ping-pong 64 B: p50" "sockperf ping-pong 64 B: p99")
}
cases_of

tcp() {  # CASE TARGET CPU_TARGET r [iperf3 options]
  local c=$1 t=$2 tc=$3 r=$4
  shift 4
  tcp_gbps "$CL" "$SV" "$IP" "$@"
  if ! is_number "$RESULT"; then failed "$c" "$SYS" "iperf3 got nothing across"; return; fi
  sample "$c" "$SYS" throughput Gbit/s higher "$RESULT" "$r" target="$t"
  sample "CPU per Gbit, $c" "$SYS" cpu "CPU s/Gbit" lower \
    "$(awk -v m="$CPU_MACHINE_S" -v w="$WALL_S" -v g="$RESULT" 'BEGIN{printf "%.4f", m / w / g}')" \
    "$r" target="$tc" cpu_machine_s="$CPU_MACHINE_S" wall_s="$WALL_S"
}
udp_pair() {  # CASE_PREFIX TARGET_RX TARGET_LOSS r "pps loss" : two samples
  sample "$1: received" "$SYS" received pps higher "${5% *}" "$4" ${2:+target="$2"}
  sample "$1: loss" "$SYS" loss % lower "${5#* }" "$4" ${3:+target="$3"}
}
udp() {  # r BITS_PER_S CASE_PREFIX TARGET_RX TARGET_LOSS
  udp64_rx "$CL" "$SV" "$IP" "$2"
  if [ -n "$RESULT" ]; then udp_pair "$3" "$4" "$5" "$1" "$RESULT"
  else failed "$3: received" "$SYS" "iperf3 UDP got nothing across"; fi
}
tg() {  # r PPS|"" CASE_PREFIX TARGET_RX TARGET_LOSS
  trafgen_rx "$CL" "$SV" eth0 "$2"
  if [ -n "$RESULT" ]; then
    udp_pair "$3" "$4" "$5" "$1" "$(awk -v m="${RESULT% *}" 'BEGIN{printf "%.0f", m * 1e6}') ${RESULT#* }"
  else failed "$3: received" "$SYS" "trafgen sent nothing: $(tail -1 "$WORK/trafgen.log")"; fi
}
pings() {  # r INTERVAL COUNT LABEL
  ping_rtt "$CL" "$IP" "$3" "$2"
  if [ -z "$RESULT" ]; then failed "$4: avg" "$SYS" "no ping answered"; return; fi
  sample "$4: avg" "$SYS" RTT us lower "${RESULT% *}" "$1" target="ratio<=1.2"
  sample "$4: p50" "$SYS" RTT us lower "${RESULT#* }" "$1" target="ratio<=1.2"
}

# One round on SYSTEM; BR_BPS / BR_TG_PPS: the bridge's unthrottled received rates this round.
measure_system() {  # SYSTEM r
  local r=$2 c
  if ! use "$1"; then
    for c in "${CASES[@]}"; do failed "$c" "$1" "no connectivity (first pings lost)"; done
    unuse
    return
  fi
  tcp "TCP 1 stream" "ratio>=1.1" "ratio<=1.0" "$r"
  tcp "TCP 8 streams" "ratio>=1.0" "ratio<=1.0" "$r" -P 8
  if [ -n "$BR_BPS" ]; then
    udp "$r" "$BR_BPS" "UDP 64 B iperf3 at the bridge's rate" "ratio>=1.0" "abs<=1"
  else failed "UDP 64 B iperf3 at the bridge's rate: received" "$SYS" "the bridge's rate is unknown"; fi
  [ "$SYS" != "$B" ] && udp "$r" 0 "UDP 64 B iperf3 -b 0" "" ""
  if [ "$TRAFGEN" = 1 ]; then
    if [ -n "$BR_TG_PPS" ]; then
      tg "$r" "$BR_TG_PPS" "UDP 64 B trafgen at the bridge's rate" "ratio>=1.0" "abs<=1"
    else failed "UDP 64 B trafgen at the bridge's rate: received" "$SYS" "the bridge's rate is unknown"; fi
    [ "$SYS" != "$B" ] && tg "$r" "" "UDP 64 B trafgen unthrottled" "" ""
  fi
  pings "$r" 0.01 "$FAST_PINGS" "ping 100/s"
  pings "$r" 0.1 "$SLOW_PINGS" "ping 10/s"
  sockperf_pp "$CL" "$SV" "$IP"
  if [ -n "$RESULT" ]; then
    sample "sockperf ping-pong 64 B: p50" "$SYS" latency us lower "${RESULT% *}" "$r" target="ratio<=1.0"
    sample "sockperf ping-pong 64 B: p99" "$SYS" latency us lower "${RESULT#* }" "$r" target="ratio<=1.0"
  else failed "sockperf ping-pong 64 B: p50" "$SYS" "sockperf: $(tail -1 "$WORK/sockperf.log")"; fi
  unuse
}

SYSTEMS=("$B" "$ON" "$OFF")
[ "$NOBIGTCP" = 1 ] && SYSTEMS+=("$NOBIG")
[ "$AFPACKET" = 1 ] && SYSTEMS+=("$AF")
for r in $(seq 1 "$REPS"); do
  log "round $r of $REPS (load average $(cut -d' ' -f1-3 /proc/loadavg))"
  # The bridge's unthrottled rates first: the offered rate of this round's "at the bridge's rate".
  BR_BPS="" BR_TG_PPS=""
  if use "$B"; then
    udp64_rx "$CL" "$SV" "$IP" 0
    if [ -n "$RESULT" ]; then
      udp_pair "UDP 64 B iperf3 -b 0" "" "" "$r" "$RESULT"
      BR_BPS=$((${RESULT% *} * 64 * 8))
    fi
    if [ "$TRAFGEN" = 1 ]; then
      trafgen_rx "$CL" "$SV" eth0
      if [ -n "$RESULT" ]; then
        BR_TG_PPS=$(awk -v m="${RESULT% *}" 'BEGIN{printf "%.0f", m * 1e6}')
        udp_pair "UDP 64 B trafgen unthrottled" "" "" "$r" "$BR_TG_PPS ${RESULT#* }"
      fi
    fi
    unuse
  fi
  log "bridge's offered rates: iperf3 -b ${BR_BPS:-?} bit/s, trafgen ${BR_TG_PPS:-?} pps"
  for s in "${SYSTEMS[@]}"; do
    log "round $r: $s"
    measure_system "$s" "$r"
  done
done

# Idle: the N containers quiet, vswitchd's CPU (all threads) as a share of one core.
for s in "$ON" "$OFF"; do
  c="idle CPU, $N containers, ${IDLE_S} s"
  [ "$s" = "$ON" ] && lvsctl sw set Open_vSwitch . other_config:kernel-offload=true
  [ "$s" = "$OFF" ] && lvsctl sw set Open_vSwitch . other_config:kernel-offload=false
  sleep 1
  t0=$(pid_cpu_ticks "${LVS_PID[sw]}") s0=$(date +%s.%N)
  sleep "$IDLE_S"
  t1=$(pid_cpu_ticks "${LVS_PID[sw]}") s1=$(date +%s.%N)
  v=$(awk -v a="$t0" -v b="$t1" -v hz="$CLK_TCK" -v s0="$s0" -v s1="$s1" \
    'BEGIN{printf "%.2f", (b - a) / hz / (s1 - s0) * 100}')
  sample "$c" "$s" cpu "% of a core" lower "$v" 1 target="abs<=2" ticks=$((t1 - t0))
  log "$s idle: $v % of a core ($((t1 - t0)) ticks of 1/$CLK_TCK s); $(lvsctl sw dpif/pmd-stats-show 2>/dev/null | tr '\n' ' ' | cut -c1-200)"
done

echo "containers_compare.sh: REPS=$REPS DUR=$DUR N=$N IDLE_S=$IDLE_S FAST_PINGS=$FAST_PINGS" \
  "SLOW_PINGS=$SLOW_PINGS TRAFGEN=$TRAFGEN AFPACKET=$AFPACKET; $(uname -r), $(nproc) CPUs;" \
  "load average at end $(cut -d' ' -f1-3 /proc/loadavg); took $(($(date +%s) - START)) s"
echo
python3 "$BENCH_DIR/containers_targets.py" "$RAW"
[ -n "${RAW_OUT:-}" ] && cp "$RAW" "$RAW_OUT"
exit 0
