#!/usr/bin/env bash
# internal_port_compare.sh - container <-> host (the bridge's own address) through vswitchd's
# internal port, against the same through a Linux bridge (container veth <-> br0's own address):
# iperf3 TCP 1 stream container -> host and host -> container (Gbit/s, and CPU s per Gbit: the
# busy time of every CPU of the machine during the test from /proc/stat, user+nice+system+irq+
# softirq+steal, / wall time / Gbit/s), ping container -> host (avg RTT of 100 at 10 ms), iperf3
# 64-byte UDP container -> host (-l 64 -b 0, packets received per second) and trafgen 64-byte
# frames (one thread, unthrottled: what the host interface received, and the loss), REPS rounds
# alternating the rows, median per row.
#
#   sudo nice -n -15 bench/internal_port_compare.sh [BUILD_DIR]      knobs: REPS=3 DUR=5
#   ROWS="tap veth-off veth-on linux" (default; "veth" = veth-off), UDP=1 TRAFGEN=1 (0: skip)
#
# Rows (one vswitchd, in a namespace playing the host; vsattach attaches the containers):
#   tap       bridge brt, its internal port a tap (options:device=tap), 10.96.1.254 on brt
#   veth-off  bridge brv, its internal port a veth pair (options:device=veth), 10.96.2.254 on
#             brv, other_config:kernel-offload=false (every frame through the switch)
#   veth-on   the same bridge and container, kernel-offload=true (the kernel carries learnt
#             container <-> host unicast, ports/offload/README.md); set before each such row
#   linux     a Linux bridge br0 in a namespace of its own, 10.96.3.254 on br0
# TCP up: server in the host namespace, client in the container; down: the other way round.
# Names: netns ipc-*.
set -u
export PATH=/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C
HERE=$(cd "$(dirname "$0")" && pwd)
BUILD=${1:-$HERE/../build}
REPS=${REPS:-3} DUR=${DUR:-5}
ROWS=${ROWS:-tap veth-off veth-on linux}
ROWS=$(for r in $ROWS; do [ "$r" = veth ] && echo veth-off || echo "$r"; done | tr '\n' ' ')
UDP=${UDP:-1} TRAFGEN=${TRAFGEN:-1}
P=ipc
W=$(mktemp -d /tmp/lvs-internal-bench.XXXXXX)
log() { echo "[$(date +%T)] $*" >&2; }
cleanup() {
  [ -f "$W/d.pid" ] && kill "$(cat "$W/d.pid")" 2>/dev/null && sleep 0.5
  for n in ${P}-h ${P}-c1 ${P}-c2 ${P}-l ${P}-l1; do
    ip netns pids $n 2>/dev/null | xargs -r kill 2>/dev/null
    ip netns del $n 2>/dev/null
  done
  rm -rf "$W"
}
trap cleanup EXIT
vsctl() { ip netns exec ${P}-h "$BUILD/ctl/vsctl" --socket="$W/sock" "$@"; }
json_get() { python3 -c "import json,sys
try:
    d=json.load(open(sys.argv[1])); print($1)
except Exception: print('0')" "$W/i.json"; }
busy() { awk '/^cpu /{print $2 + $3 + $4 + $7 + $8 + $9}' /proc/stat; }  # jiffies, all CPUs
tcp() {  # tcp NS IP: "Gbit/s received/CPU s per Gbit"
  local b0 b1 t0 t1 g
  b0=$(busy) t0=$(date +%s.%N)
  ip netns exec "$1" timeout $((DUR + 15)) iperf3 -c "$2" -t "$DUR" -J >"$W/i.json" 2>/dev/null
  b1=$(busy) t1=$(date +%s.%N)
  g=$(json_get '"%.2f" % (d["end"]["sum_received"]["bits_per_second"]/1e9)')
  awk -v g="$g" -v b=$((b1 - b0)) -v hz="$(getconf CLK_TCK)" -v w="$(echo "$t1 - $t0" | bc)" \
    'BEGIN{printf "%s/%.3f\n", g, (g > 0 ? b / hz / w / g : 0)}'
}
rtt() {  # rtt NS IP: avg ping RTT in us (100 pings, 10 ms apart)
  ip netns exec "$1" ping -q -c 100 -i 0.01 -W 1 "$2" 2>/dev/null |
    awk -F/ '/^rtt/{printf "%.0f\n", $5 * 1000; ok = 1} END{if (!ok) print 0}'
}
udp() {  # udp NS IP: 64-byte datagrams received per second
  ip netns exec "$1" timeout $((DUR + 15)) iperf3 -c "$2" -u -l 64 -b 0 -t "$DUR" -J >"$W/i.json" 2>/dev/null
  json_get '"%d" % (d["end"]["sum_received"]["bytes"]/64/d["end"]["sum_received"]["seconds"])'
}
# trafgen NS HOST_NS HOST_IF DST_IP: 60-byte UDP frames (64 on the wire) from one trafgen thread
# on the container's eth0 to the host interface for DUR s; prints "Mpps_received loss_%" (the
# host interface's rx_packets against eth0's tx_packets).
trafgen_rx() {
  local mac sip a_tx a_rx b_tx b_rx
  mac=$(ip netns exec "$2" cat "/sys/class/net/$3/address")
  sip=$(ip -n "$1" -4 -o addr show dev eth0 | awk '{print $4}' | cut -d/ -f1)
  cat >"$W/t.cfg" <<TG
{ eth(da=$mac, type=0x0800), ipv4(saddr=$sip, daddr=$4, proto=17, ttl=64),
  udp(sport=4000, dport=9), fill(0x00, 18) }
TG
  timeout -s KILL $((DUR + 2)) ip netns exec "$1" trafgen --dev eth0 --conf "$W/t.cfg" -P 1 -Q \
    >/dev/null 2>&1 &
  sleep 1
  a_tx=$(ip netns exec "$1" cat /sys/class/net/eth0/statistics/tx_packets)
  a_rx=$(ip netns exec "$2" cat "/sys/class/net/$3/statistics/rx_packets")
  sleep $((DUR - 1))
  b_rx=$(ip netns exec "$2" cat "/sys/class/net/$3/statistics/rx_packets")
  b_tx=$(ip netns exec "$1" cat /sys/class/net/eth0/statistics/tx_packets)
  wait
  awk -v rx=$((b_rx - a_rx)) -v tx=$((b_tx - a_tx)) -v t=$((DUR - 1)) \
    'BEGIN{l = tx ? 100 * (tx - rx) / tx : 0; printf "%.3f/%.0f%%\n", rx / t / 1e6, l < 0 ? 0 : l}'
}

# The switch in its "host" namespace: two bridges, one per internal-port device.
ip netns add ${P}-h && ip -n ${P}-h link set lo up
ip netns exec ${P}-h "$BUILD/ctl/vswitchd" --db "$W/db.json" --socket "$W/sock" \
  --pidfile "$W/d.pid" --log-file "$W/d.log" --detach || exit 1
vsctl add-br brt -- set interface brt options:ip=10.96.1.254/24 options:device=tap || exit 1
vsctl add-br brv -- set interface brv options:ip=10.96.2.254/24 options:device=veth || exit 1
for i in 1 2; do
  ip netns add ${P}-c$i && ip -n ${P}-c$i link set lo up
  br=$([ $i = 1 ] && echo brt || echo brv)
  ip netns exec ${P}-h "$BUILD/ctl/vsattach" --socket "$W/sock" $br ${P}-c$i 10.96.$i.1/24 >/dev/null || exit 1
done
# VETH_GRO=1: GRO on both ends of brv's pair, which puts the veth in NAPI mode (a ring and a
# poll per batch instead of the backlog queue per frame).
if [ "${VETH_GRO:-0}" = 1 ]; then
  for i in brv "$(ip -n ${P}-h -o link show | sed -n 's/^[0-9]*: \(lvi[0-9a-f]*\)@brv.*/\1/p')"; do
    ip netns exec ${P}-h ethtool -K "$i" gro on >&2
  done
fi
ip netns exec ${P}-h iperf3 -s -D
for i in 1 2; do ip netns exec ${P}-c$i iperf3 -s -D; done
# The Linux bridge, its own address in its namespace (docker0's shape).
ip netns add ${P}-l && ip -n ${P}-l link set lo up && ip -n ${P}-l link add br0 type bridge
ip -n ${P}-l addr add 10.96.3.254/24 dev br0 && ip -n ${P}-l link set br0 up
ip netns add ${P}-l1 && ip -n ${P}-l1 link set lo up
ip -n ${P}-l link add v1 type veth peer name eth0 netns ${P}-l1
ip -n ${P}-l link set v1 master br0 up
ip -n ${P}-l1 addr add 10.96.3.1/24 dev eth0 && ip -n ${P}-l1 link set eth0 up
ip netns exec ${P}-l iperf3 -s -D
ip netns exec ${P}-l1 iperf3 -s -D
sleep 0.5
declare -A NS=([tap]=${P}-c1 [veth-off]=${P}-c2 [veth-on]=${P}-c2 [linux]=${P}-l1)
declare -A IP=([tap]=10.96.1.254 [veth-off]=10.96.2.254 [veth-on]=10.96.2.254 [linux]=10.96.3.254)
declare -A CIP=([tap]=10.96.1.1 [veth-off]=10.96.2.1 [veth-on]=10.96.2.1 [linux]=10.96.3.1)
declare -A HNS=([tap]=${P}-h [veth-off]=${P}-h [veth-on]=${P}-h [linux]=${P}-l)
declare -A HIF=([tap]=brt [veth-off]=brv [veth-on]=brv [linux]=br0)
# offload ROW: the kernel-offload setting the row needs (veth-on: entries installed and used).
offload() {
  case $1 in
    veth-off) vsctl set Open_vSwitch . other_config:kernel-offload=false ;;
    veth-on)
      vsctl set Open_vSwitch . other_config:kernel-offload=true
      ip netns exec ${P}-c2 ping -q -c 3 -i 0.1 -W 1 10.96.2.254 >/dev/null
      sleep 0.3 ;;
  esac
}
for row in $ROWS; do
  offload "$row"
  ip netns exec "${NS[$row]}" ping -q -c 3 -i 0.1 -W 2 "${IP[$row]}" >/dev/null || log "no ping on $row"
done
vsctl show >&2
vsctl dpif/offload-show >&2

declare -A T D R U G
for r in $(seq "$REPS"); do
  for row in $ROWS; do
    offload "$row"
    T[$row]+="$(tcp "${NS[$row]}" "${IP[$row]}") "
    sleep 0.3
    D[$row]+="$(tcp "${HNS[$row]}" "${CIP[$row]}") "
    sleep 0.3
    R[$row]+="$(rtt "${NS[$row]}" "${IP[$row]}") "
    [ "$UDP" = 1 ] && U[$row]+="$(udp "${NS[$row]}" "${IP[$row]}") " && sleep 0.3
    [ "$TRAFGEN" = 1 ] && G[$row]+="$(trafgen_rx "${NS[$row]}" "${HNS[$row]}" "${HIF[$row]}" "${IP[$row]}") "
    [ "$row" = veth-on ] && vsctl dpif/offload-show >&2
  done
  log "round $r: tcp up Gbit/CPU-s-per-Gbit $(for row in $ROWS; do printf '%s[%s] ' "$row" "${T[$row]}"; done)"
  log "round $r: tcp down $(for row in $ROWS; do printf '%s[%s] ' "$row" "${D[$row]}"; done)"
  log "round $r: ping us $(for row in $ROWS; do printf '%s[%s] ' "$row" "${R[$row]}"; done)"
  [ "$UDP" = 1 ] && log "round $r: udp $(for row in $ROWS; do printf '%s[%s] ' "$row" "${U[$row]}"; done)"
  [ "$TRAFGEN" = 1 ] && log "round $r: trafgen Mpps/loss $(for row in $ROWS; do printf '%s[%s] ' "$row" "${G[$row]}"; done)"
done
med() { python3 -c 'import statistics,sys; m = statistics.median(map(float, sys.argv[1:])); print("%d" % m if m >= 1000 else "%.3g" % m)' $1; }
ratio() { python3 -c 'import sys; a,b=map(float,sys.argv[1:]); print("%.2f" % (a/b if b else 0))' "$1" "$2"; }
field() { echo "$1" | tr ' ' '\n' | cut -d/ -f"$2" | tr '\n' ' '; }  # field RUNS N: a/b/c -> Nth
declare -A MT MTC MD MDC MR MU MG
for row in $ROWS linux; do
  MT[$row]=$(med "$(field "${T[$row]:-0}" 1)") MTC[$row]=$(med "$(field "${T[$row]:-0/0}" 2)")
  MD[$row]=$(med "$(field "${D[$row]:-0}" 1)") MDC[$row]=$(med "$(field "${D[$row]:-0/0}" 2)")
  MR[$row]=$(med "${R[$row]:-0}") MU[$row]=$(med "${U[$row]:-0}") MG[$row]=$(med "$(field "${G[$row]:-0}" 1)")
done
echo "| median of $REPS x ${DUR}s | TCP c->h Gbit/s | vs bridge | CPU s/Gbit | TCP h->c Gbit/s | vs bridge | CPU s/Gbit | ping c->h us | vs bridge | UDP 64 B pps | vs bridge | trafgen Mpps | vs bridge |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|"
for row in $ROWS; do
  echo "| $row | ${MT[$row]} | $(ratio "${MT[$row]}" "${MT[linux]}")x | ${MTC[$row]} | ${MD[$row]} | $(ratio "${MD[$row]}" "${MD[linux]}")x | ${MDC[$row]} | ${MR[$row]} | $(ratio "${MR[$row]}" "${MR[linux]}")x | ${MU[$row]} | $(ratio "${MU[$row]}" "${MU[linux]}")x | ${MG[$row]} | $(ratio "${MG[$row]}" "${MG[linux]}")x |"
done
echo
echo "runs (Gbit/s/CPU s per Gbit; us; pps; Mpps/loss):"
for row in $ROWS; do
  echo "- $row: up ${T[$row]}; down ${D[$row]}; ping ${R[$row]}; udp ${U[$row]:-}; trafgen ${G[$row]:-}"
done
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
vsctl list interface brt brv 2>/dev/null | grep -E '^(name|statistics)' >&2
