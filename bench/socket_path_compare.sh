#!/usr/bin/env bash
# socket_path_compare.sh - the containers scenario (two namespaces through bench/afpacket_fwd) for
# several afpacket_fwd option sets, alternating them round by round so that load on a shared
# machine hits every variant alike. Per run: iperf3 TCP 1 stream (Gbit/s), iperf3 UDP 64 B -b 0
# (received pps and loss %), ping -i 0.01 (avg RTT us), and perf stat on the forwarder during
# the UDP run (CPU ms/s, syscalls per received packet).
#
#   sudo nice -n -15 bench/socket_path_compare.sh BUILD_DIR "LABEL=OPTIONS" ["LABEL=OPTIONS"...]
#   e.g. bench/socket_path_compare.sh build "recvmmsg=" "ring=--rx-ring"
#
# Knobs: ROUNDS=3 DUR=5 PINGS=200; TXOFF=1 turns the containers' tx offloads off (ethtool -K eth0
# tx off tso off gso off, as vsattach does for afxdp ports: needed for --afxdp); PROFILE_DIR=DIR
# also records the forwarder during the UDP run (perf record -g) and writes its top symbols to
# DIR/LABEL-ROUND.txt. Names: netns lvs-sp-ns1/2, veths lvs-sp-v1h/2h, 10.97.1.0/24.
set -u
export PATH=/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C
BUILD=${1:?build dir}; shift
FWD=$BUILD/bench/afpacket_fwd
ROUNDS=${ROUNDS:-3} DUR=${DUR:-5} PINGS=${PINGS:-200} TXOFF=${TXOFF:-0}
W=$(mktemp -d /tmp/lvs-sp.XXXXXX)
IP2=10.97.1.2
log() { echo "[$(date +%T)] $*" >&2; }

teardown() {
  [ -f "$W/fwd.pid" ] && { kill "$(cat "$W/fwd.pid")" 2>/dev/null; sleep 0.3; rm -f "$W/fwd.pid"; }
  for i in 1 2; do ip netns del lvs-sp-ns$i 2>/dev/null; ip link del lvs-sp-v${i}h 2>/dev/null; done
  return 0
}
trap 'teardown; rm -rf "$W"; exit 130' INT TERM

mk_pair() {
  for i in 1 2; do
    ip netns add lvs-sp-ns$i || return 1
    ip link add lvs-sp-v${i}h type veth peer name lvs-sp-v${i}n || return 1
    ip link set lvs-sp-v${i}n netns lvs-sp-ns$i
    ip -n lvs-sp-ns$i link set lvs-sp-v${i}n name eth0
    ip -n lvs-sp-ns$i addr add 10.97.1.$i/24 dev eth0
    ip -n lvs-sp-ns$i link set lo up
    ip -n lvs-sp-ns$i link set eth0 up
    [ "$TXOFF" = 1 ] && ip netns exec lvs-sp-ns$i ethtool -K eth0 tx off tso off gso off >/dev/null 2>&1
    sysctl -qw net.ipv6.conf.lvs-sp-v${i}h.disable_ipv6=1
    ip link set lvs-sp-v${i}h up
  done
}

EV=task-clock,syscalls:sys_enter_sendto,syscalls:sys_enter_recvmmsg,syscalls:sys_enter_sendmmsg,syscalls:sys_enter_epoll_wait,syscalls:sys_enter_epoll_pwait,syscalls:sys_enter_poll,syscalls:sys_enter_ppoll,syscalls:sys_enter_sched_yield
one_run() {  # $1 label, $2 options -> one result line
  teardown; mk_pair || { log "setup failed"; teardown; return 1; }
  rm -f "$W/ready"
  # shellcheck disable=SC2086
  "$FWD" $2 --ready-file "$W/ready" lvs-sp-v1h lvs-sp-v2h >"$W/fwd.out" 2>&1 &
  echo $! >"$W/fwd.pid"
  for _ in $(seq 50); do [ -f "$W/ready" ] && break; sleep 0.1; done
  [ -f "$W/ready" ] || { log "afpacket_fwd failed: $(cat "$W/fwd.out")"; teardown; return 1; }
  local pid; pid=$(cat "$W/fwd.pid")
  ip netns exec lvs-sp-ns2 iperf3 -s -D -B $IP2 --pidfile "$W/iperf3.pid"
  sleep 0.3
  ip netns exec lvs-sp-ns1 ping -c 3 -i 0.1 -W 2 $IP2 >/dev/null || log "WARNING: first ping failed"
  local tcp udp png
  tcp=$(ip netns exec lvs-sp-ns1 timeout $((DUR + 20)) iperf3 -c $IP2 -t "$DUR" -J |
        python3 -c 'import json,sys; d=json.load(sys.stdin); print("%.2f" % (d["end"]["sum_received"]["bits_per_second"]/1e9))' 2>/dev/null || echo NA)
  perf stat -x, -e "$EV" -p "$pid" -o "$W/perf.csv" -- sleep "$DUR" 2>/dev/null &
  local perfp=$! recp=
  if [ -n "${PROFILE_DIR:-}" ]; then
    perf record -q -g -p "$pid" -o "$W/perf.data" -- sleep "$DUR" >/dev/null 2>&1 &
    recp=$!
  fi
  udp=$(ip netns exec lvs-sp-ns1 timeout $((DUR + 20)) iperf3 -c $IP2 -u -l 64 -b 0 -t "$DUR" -J |
        python3 -c 'import json,sys; d=json.load(sys.stdin)["end"]["sum"]; print("%d %.1f %d" % (d["packets"]-d["lost_packets"], d["lost_percent"], (d["packets"]-d["lost_packets"])/d["seconds"]))' 2>/dev/null || echo "NA NA NA")
  wait $perfp
  if [ -n "$recp" ]; then
    wait "$recp"
    mkdir -p "$PROFILE_DIR"
    perf report -q -g none -i "$W/perf.data" --no-children --sort sym --percent-limit 1.5 2>/dev/null |
      grep -v '^$' | grep -v '^ *|' | grep -v '^ *-' | head -25 >"$PROFILE_DIR/$1-$ROUND.txt"
  fi
  png=$(ip netns exec lvs-sp-ns1 ping -c "$PINGS" -i 0.01 -W 2 -q $IP2 | awk -F'[/ ]' '/^rtt/{print int($8*1000+0.5)}')
  kill "$(cat "$W/iperf3.pid")" 2>/dev/null
  local rx loss pps; read -r rx loss pps <<<"$udp"
  local perfline
  perfline=$(python3 - "$W/perf.csv" "$rx" "$DUR" <<'PY'
import sys
f, rx, dur = sys.argv[1], sys.argv[2], float(sys.argv[3])
v = {}
for line in open(f):
    p = line.strip().split(',')
    if len(p) > 2 and p[0] and p[0][0].isdigit():
        v[p[2].split(':')[-1]] = float(p[0])
cpu = v.get('task-clock', 0) / dur  # ms of CPU per s
sc = sum(x for k, x in v.items() if k.startswith('sys_enter'))
rxn = float(rx) if rx not in ('NA', '') else 0
print('cpu_ms_per_s=%.0f syscalls=%d syscalls_per_rx_pkt=%.3f recvmmsg=%d sendmmsg=%d waits=%d' % (
    cpu, sc, sc / rxn if rxn else -1, v.get('sys_enter_recvmmsg', 0), v.get('sys_enter_sendmmsg', 0),
    sum(v.get(k, 0) for k in ('sys_enter_epoll_wait', 'sys_enter_epoll_pwait', 'sys_enter_poll', 'sys_enter_ppoll'))))
PY
)
  teardown
  echo "$1 tcp_gbps=$tcp udp64_rx_pps=$pps udp64_loss_pct=$loss ping_us=${png:-NA} $perfline"
}

log "load: $(cat /proc/loadavg)"
for r in $(seq "$ROUNDS"); do
  for v in "$@"; do
    ROUND=$r
    line=$(one_run "${v%%=*}" "${v#*=}")
    echo "round=$r $line"
  done
done
log "load: $(cat /proc/loadavg)"
rm -rf "$W"
