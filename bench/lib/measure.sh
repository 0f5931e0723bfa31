# shellcheck shell=bash disable=SC2034  # sourced: its variables are the callers'
# Traffic between two network namespaces, the same way for every system. Each function measures
# once, with the CPU of the given pids (and all softirq) recorded around it (cpu_begin/cpu_end).
#   tcp_gbps CLIENT_NS SERVER_NS SERVER_IP [iperf3 options]  -> Gbit/s received, 1 TCP stream
#   trafgen_rx CLIENT_NS SERVER_NS IFACE [PPS]               -> "rx_Mpps loss_%" of 64-byte frames
#                                                               (PPS: trafgen -b PPSpps; default flat out)
#   ping_us CLIENT_NS SERVER_IP COUNT INTERVAL               -> average RTT in microseconds
#   udp64_rx CLIENT_NS SERVER_NS SERVER_IP BITS_PER_S        -> "rx_pps loss_%" of iperf3 -u -l 64 -b
#                                                               BITS_PER_S (0: unthrottled)
#   ping_rtt CLIENT_NS SERVER_IP COUNT INTERVAL              -> "avg_us p50_us" of the RTTs
#   sockperf_pp CLIENT_NS SERVER_NS SERVER_IP                -> "p50_us p99_us", sockperf ping-pong,
#                                                               64-byte UDP messages, DUR s
# Each sets RESULT (empty when the measurement did not work) and, through cpu_end, CPU_PROC_S,
# CPU_SIRQ_S, CPU_MACHINE_S and WALL_S; they must not run in a subshell.
MEASURE_PIDS=()  # the processes charged with the CPU (none for kernel datapaths)

iperf3_server() {  # SERVER_NS SERVER_IP: a one-test iperf3 server, listening when it returns
  ip netns exec "$1" iperf3 -s -1 -D -B "$2" --pidfile "$WORK/iperf3.pid" >/dev/null 2>&1 || return 1
  wait_for 30 ip netns exec "$1" ss -ltn "sport = :5201" -H
  sleep 0.2
}
iperf3_server_down() { kill "$(cat "$WORK/iperf3.pid" 2>/dev/null)" 2>/dev/null; }

tcp_gbps() {
  local c=$1 s=$2 ip=$3 out=$WORK/iperf3.json
  shift 3
  RESULT=""
  : >"$out"
  iperf3_server "$s" "$ip" || return 0
  cpu_begin "${MEASURE_PIDS[@]}"
  ip netns exec "$c" timeout $((DUR + 15)) iperf3 -c "$ip" -t "$DUR" -J "$@" >"$out" 2>/dev/null
  cpu_end
  iperf3_server_down
  RESULT=$(python3 -c 'import json,sys
try:
    b = json.load(open(sys.argv[1]))["end"]["sum_received"]["bits_per_second"]
    print("%.3f" % (b / 1e9)) if b > 0 else None
except Exception:
    pass' "$out")
}

# 60-byte UDP frames (64 on the wire) from one trafgen thread in CLIENT_NS for DUR seconds;
# counts what SERVER_NS's interface received against what CLIENT_NS's interface sent.
trafgen_rx() {
  local c=$1 s=$2 ifc=$3 cfg=$WORK/pkt64.cfg m1 m2 sip dip a_tx b_tx a_rx b_rx tp
  local -a rate=()
  [ -n "${4:-}" ] && rate=(-b "${4}pps")
  RESULT=""
  m1=$(ip netns exec "$c" cat "/sys/class/net/$ifc/address")
  m2=$(ip netns exec "$s" cat "/sys/class/net/$ifc/address")
  sip=$(ip -n "$c" -4 -o addr show dev "$ifc" | awk '{print $4}' | cut -d/ -f1)
  dip=$(ip -n "$s" -4 -o addr show dev "$ifc" | awk '{print $4}' | cut -d/ -f1)
  cat >"$cfg" <<TG
{
  eth(da=$m2, sa=$m1, type=0x0800),
  ipv4(saddr=$sip, daddr=$dip, proto=17, ttl=64),
  udp(sport=4000, dport=9),
  fill(0x00, 18)
}
TG
  timeout -s KILL $((DUR + 3)) ip netns exec "$c" trafgen --dev "$ifc" --conf "$cfg" -P 1 -Q -C \
    "${rate[@]}" >"$WORK/trafgen.log" 2>&1 &
  tp=$!
  sleep 1
  a_tx=$(ip netns exec "$c" cat "/sys/class/net/$ifc/statistics/tx_packets")
  a_rx=$(ip netns exec "$s" cat "/sys/class/net/$ifc/statistics/rx_packets")
  cpu_begin "${MEASURE_PIDS[@]}"
  sleep "$DUR"
  b_rx=$(ip netns exec "$s" cat "/sys/class/net/$ifc/statistics/rx_packets")
  b_tx=$(ip netns exec "$c" cat "/sys/class/net/$ifc/statistics/tx_packets")
  cpu_end
  kill "$tp" 2>/dev/null  # timeout hands the TERM to trafgen's whole process group
  wait "$tp" 2>/dev/null
  [ $((b_tx - a_tx)) -gt 0 ] || return 0
  RESULT=$(awk -v rx=$((b_rx - a_rx)) -v tx=$((b_tx - a_tx)) -v t="$WALL_S" \
    'BEGIN{l = 100 * (tx - rx) / tx; printf "%.6f %.1f\n", rx / t / 1e6, l < 0 ? 0 : l}')
}

ping_us() {
  local c=$1 ip=$2 n=$3 i=$4
  cpu_begin "${MEASURE_PIDS[@]}"
  RESULT=$(ip netns exec "$c" ping -q -n -c "$n" -i "$i" -W 2 "$ip" 2>/dev/null |
    awk -F/ '/^rtt|^round-trip/{printf "%.0f\n", $5 * 1000}')
  cpu_end
}

udp64_rx() {
  local c=$1 s=$2 ip=$3 bps=$4 out=$WORK/iperf3-udp.json
  RESULT=""
  : >"$out"
  iperf3_server "$s" "$ip" || return 0
  cpu_begin "${MEASURE_PIDS[@]}"
  ip netns exec "$c" timeout $((DUR + 15)) iperf3 -c "$ip" -u -l 64 -b "$bps" -t "$DUR" -J \
    >"$out" 2>/dev/null
  cpu_end
  iperf3_server_down
  # The receiver's view: bytes it got / 64 per second; lost_percent from the sequence numbers.
  RESULT=$(python3 -c 'import json,sys
try:
    r = json.load(open(sys.argv[1]))["end"]["sum_received"]
    print("%.0f %.2f" % (r["bytes"] / 64 / r["seconds"], r["lost_percent"])) if r["bytes"] > 0 else None
except Exception:
    pass' "$out")
}

ping_rtt() {
  local c=$1 ip=$2 n=$3 i=$4
  cpu_begin "${MEASURE_PIDS[@]}"
  RESULT=$(ip netns exec "$c" ping -n -c "$n" -i "$i" -W 2 "$ip" 2>/dev/null |
    sed -n 's/.* time=\([0-9.]*\) ms.*/\1/p' | sort -g |
    awk '{v[NR] = $1; s += $1} END{if (NR) printf "%.0f %.0f\n", s / NR * 1000,
      (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) * 1000}')
  cpu_end
}

sockperf_pp() {
  local c=$1 s=$2 ip=$3 sp
  RESULT=""
  ip netns exec "$s" sockperf sr -i "$ip" -p 11111 >"$WORK/sockperf-server.log" 2>&1 &
  sp=$!
  wait_for 30 ip netns exec "$s" ss -lun "sport = :11111" -H
  cpu_begin "${MEASURE_PIDS[@]}"
  ip netns exec "$c" timeout $((DUR + 15)) sockperf pp -i "$ip" -p 11111 -m 64 -t "$DUR" \
    >"$WORK/sockperf.log" 2>&1
  cpu_end
  kill "$sp" 2>/dev/null
  wait "$sp" 2>/dev/null
  RESULT=$(awk '/percentile 50.000 =/{p50 = $NF} /percentile 99.000 =/{p99 = $NF}
    END{if (p50 != "" && p99 != "") print p50, p99}' "$WORK/sockperf.log")
}
