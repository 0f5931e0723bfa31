#!/usr/bin/env bash
# containers_compare.sh - two network namespaces joined by (a) Lite vSwitch (bench/afpacket_fwd:
# one bridge of "system" ports, AF_PACKET + virtio-net headers, one PMD thread) and (b) the Linux
# bridge (docker0's datapath), measured the same way in one run; prints a table and the ratios.
#
#   sudo bench/containers_compare.sh [BUILD_DIR]        (default BUILD_DIR: build)
#
# Containers keep the kernel's default offloads (as docker's do). Measurements come from
# /work/shared/tools/peers.sh (`peers.sh linuxbridge`, `peers.sh measure`): iperf3 TCP Gbit/s
# (1 stream), iperf3 64-byte UDP pps, ping -i 0.01 RTT; median of REPS runs of DUR seconds.
# Rows: the Linux bridge; the switch as shipped (Datapath PMD with adaptive sleep: poll() on the
# ports' sockets after 300 us without a frame); the PMD busy polling (afpacket_fwd --busy-poll);
# busy polling with the ports yielding the CPU on empty bursts (--busy-poll --yield). On a shared machine run it under
# `nice -n -15` so that other work disturbs every column alike.
# Knobs (environment): REPS=3 DUR=5 PINGS=200 TRAFGEN=0 PMD_CORE=(none) PEERS=path/to/peers.sh
# Names used: netns lvc-ns1/lvc-ns2, veths lvc-v1h/lvc-v2h, 10.98.1.1-2/24 (peers.sh uses pb-*).
set -u
export PATH=/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C
HERE=$(cd "$(dirname "$0")" && pwd)
BUILD=${1:-$HERE/../build}
FWD=$BUILD/bench/afpacket_fwd
PEERS=${PEERS:-/work/shared/tools/peers.sh}
export REPS=${REPS:-3} DUR=${DUR:-5} PINGS=${PINGS:-200} TRAFGEN=${TRAFGEN:-0}
export W=${W:-/tmp/lvs-containers-compare}
PMD_CORE=${PMD_CORE:-}
NS1=lvc-ns1 NS2=lvc-ns2 V1=lvc-v1h V2=lvc-v2h IP2=10.98.1.2

log() { echo "[$(date +%T)] $*" >&2; }
[ -x "$FWD" ] || { log "build $FWD first"; exit 1; }
[ -x "$PEERS" ] || { log "missing $PEERS"; exit 1; }
mkdir -p "$W"

teardown() {
  if [ -f "$W/fwd.pid" ]; then kill "$(cat "$W/fwd.pid")" 2>/dev/null; sleep 0.5; rm -f "$W/fwd.pid"; fi
  local i
  for i in 1 2; do ip netns del lvc-ns$i 2>/dev/null; ip link del lvc-v${i}h 2>/dev/null; done
  return 0
}
trap 'teardown; exit 130' INT TERM

mk_pair() {  # two namespaces, eth0 = 10.98.1.i/24, default offloads, host ends up
  local i
  for i in 1 2; do
    ip netns add lvc-ns$i || return 1
    ip link add lvc-v${i}h type veth peer name lvc-v${i}n || return 1
    ip link set lvc-v${i}n netns lvc-ns$i
    ip -n lvc-ns$i link set lvc-v${i}n name eth0
    ip -n lvc-ns$i addr add 10.98.1.$i/24 dev eth0
    ip -n lvc-ns$i link set lo up
    ip -n lvc-ns$i link set eth0 up
    # The host end only carries frames for the switch: no IPv6 autoconfiguration on it.
    sysctl -qw net.ipv6.conf.lvc-v${i}h.disable_ipv6=1
    ip link set lvc-v${i}h up
  done
}

field() { echo "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }
ratio() { python3 -c "a,b='$1','$2'
try: print('%.2f' % (float(a)/float(b)))
except Exception: print('NA')"; }

teardown
log "Linux bridge (peers.sh linuxbridge, default offloads)"
lb=$("$PEERS" linuxbridge | tail -1)
log "$lb"

run_switch() {  # $@ = extra afpacket_fwd options; prints the measure line
  mk_pair || { log "namespace setup failed"; teardown; return 1; }
  rm -f "$W/fwd.ready" "$W/fwd.out"
  "$FWD" ${PMD_CORE:+--pmd-core $PMD_CORE} "$@" --ready-file "$W/fwd.ready" $V1 $V2 \
      >"$W/fwd.out" 2>&1 &
  echo $! >"$W/fwd.pid"
  for _ in $(seq 50); do [ -f "$W/fwd.ready" ] && break; sleep 0.1; done
  [ -f "$W/fwd.ready" ] || { log "afpacket_fwd did not start: $(cat "$W/fwd.out")"; teardown; return 1; }
  sleep 1
  "$PEERS" measure $NS1 $NS2 $IP2 eth0 | tail -1
  teardown
  log "afpacket_fwd $* counters:"; grep -v '^EAL' "$W/fwd.out" >&2
}

log "Lite vSwitch as shipped: Datapath PMD with adaptive sleep, system ports"
lv=$(run_switch); log "$lv"
log "Lite vSwitch: PMD busy polling (--busy-poll)"
lb2=$(run_switch --busy-poll); log "$lb2"
log "Lite vSwitch: PMD busy polling, ports yield the CPU on empty bursts (--busy-poll --yield)"
ly=$(run_switch --busy-poll --yield); log "$ly"

row() {  # $1 label, $2 measure line
  local t u p
  t=$(field "$2" tcp_gbps) u=$(field "$2" udp64_pps) p=$(field "$2" ping_us)
  echo "| $1 | $t | $(ratio "$t" "$(field "$lb" tcp_gbps)") | $u | $(ratio "$u" "$(field "$lb" udp64_pps)") | $p | $(ratio "$p" "$(field "$lb" ping_us)") |"
}
echo "| (ratio = x / Linux bridge) | TCP Gbit/s | ratio (>= 0.8) | UDP 64 B pps | ratio (>= 1.0) | ping us | ratio (<= 1.2) |"
echo "|---|---|---|---|---|---|---|"
row "Linux bridge" "$lb"
row "Lite vSwitch as shipped (adaptive PMD sleep)" "$lv"
row "Lite vSwitch, busy-polling PMD" "$lb2"
row "Lite vSwitch, busy-polling PMD, ports yield when empty" "$ly"
