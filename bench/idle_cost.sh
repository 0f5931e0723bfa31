#!/usr/bin/env bash
# What a poll-mode switch costs when containers are quiet, side by side with the Linux bridge:
#   1. vswitchd's CPU (from /proc) over IDLE_S seconds with N attached containers and no traffic;
#   2. ping RTT between two containers at 1 ping per 100 ms (the switch finds every ping asleep)
#      and at 100 pings/s, through this switch and through a Linux bridge (docker0's datapath).
#
#   bench/idle_cost.sh [--build DIR] [--quick] [--no-record]
# Environment: N=10 IDLE_S=30 SLOW_PINGS=50 FAST_PINGS=300 PMD_SLEEP=adaptive|off
# Names: netns lvsidle-host (plays the host: vswitchd, its default br0 and NAT table live there,
# never on the real host), lvsidle-ns<i> (containers), veths lvsidle<i>h / lvsidle<i>c, bridge
# lvsidle-br; all removed at exit. Addresses 10.97.0.<i>/24 live only inside the namespaces.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=build RECORD=1
N=${N:-10} IDLE_S=${IDLE_S:-30} SLOW_PINGS=${SLOW_PINGS:-50} FAST_PINGS=${FAST_PINGS:-300}
while [ $# -gt 0 ]; do
  case "$1" in
    --build) BUILD=$2; shift ;;
    --quick) IDLE_S=5 SLOW_PINGS=10 FAST_PINGS=50 ;;
    --no-record) RECORD=0 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
[ "$(id -u)" = 0 ] || { echo "needs root (network namespaces)" >&2; exit 1; }
VSWITCHD=$BUILD/ctl/vswitchd VSCTL=$BUILD/ctl/vsctl
for b in "$VSWITCHD" "$VSCTL"; do [ -x "$b" ] || { echo "build first: missing $b" >&2; exit 1; }; done
W=$(mktemp -d /tmp/lvs-idle.XXXXXX)
SOCK=$W/s.sock
DPID=""

cleanup() {
  if [ -n "$DPID" ]; then kill "$DPID" 2>/dev/null; wait "$DPID" 2>/dev/null || true; fi
  for i in $(seq 1 "$N"); do ip netns del lvsidle-ns"$i" 2>/dev/null || true; done
  ip netns del lvsidle-host 2>/dev/null || true
  rm -rf "$W"
}
trap cleanup EXIT

H="ip netns exec lvsidle-host"
make_containers() {  # N namespaces, eth0 = 10.97.0.i/24, host ends lvsidle<i>h up, unattached
  ip netns add lvsidle-host
  $H ip link set lo up
  for i in $(seq 1 "$N"); do
    ip netns add lvsidle-ns"$i"
    ip link add lvsidle"${i}"h type veth peer name lvsidle"${i}"c
    ip link set lvsidle"${i}"c netns lvsidle-ns"$i"
    ip -n lvsidle-ns"$i" link set lvsidle"${i}"c name eth0
    ip -n lvsidle-ns"$i" addr add 10.97.0."$i"/24 dev eth0
    ip -n lvsidle-ns"$i" link set lo up
    ip -n lvsidle-ns"$i" link set eth0 up
    ip link set lvsidle"${i}"h netns lvsidle-host
    $H ip link set lvsidle"${i}"h up
  done
}

ping_avg_us() {  # $1 interval, $2 count -> average RTT in us
  ip netns exec lvsidle-ns1 ping -q -n -i "$1" -c "$2" 10.97.0.2 |
    awk -F/ '/rtt|round-trip/ {printf "%.0f", $5 * 1000}'
}

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

make_containers
# ---- Lite vSwitch
read -ra PREFIX <<<"${VSWITCHD_PREFIX:-}"  # e.g. "nice -n -5" (word-split on purpose)
$H "${PREFIX[@]}" "$VSWITCHD" --db "$W/conf.json" --socket "$SOCK" --log-file "$W/vswitchd.log" &
DPID=$!
for _ in $(seq 100); do "$VSCTL" --socket "$SOCK" list-br >/dev/null 2>&1 && break; sleep 0.1; done
"$VSCTL" --socket "$SOCK" set Open_vSwitch . other_config:pmd-sleep="${PMD_SLEEP:-adaptive}"
"$VSCTL" --socket "$SOCK" add-br lvsidle-sw
for i in $(seq 1 "$N"); do "$VSCTL" --socket "$SOCK" add-port lvsidle-sw lvsidle"${i}"h; done
ip netns exec lvsidle-ns1 ping -q -c 3 -i 0.2 10.97.0.2 >/dev/null  # learn, warm up
sleep 1
HZ=$(getconf CLK_TCK)
t0=$(cpu_ticks "$DPID"); s0=$(date +%s.%N)
sleep "$IDLE_S"
t1=$(cpu_ticks "$DPID"); s1=$(date +%s.%N)
SW_IDLE=$(awk -v a="$t0" -v b="$t1" -v hz="$HZ" -v s0="$s0" -v s1="$s1" \
  'BEGIN{printf "%.2f", (b-a)/hz/(s1-s0)*100}')
SW_SLOW=$(ping_avg_us 0.1 "$SLOW_PINGS")
SW_FAST=$(ping_avg_us 0.01 "$FAST_PINGS")
PMD=$("$VSCTL" --socket "$SOCK" dpif/pmd-stats-show 2>/dev/null | tr '\n' ' ' | cut -c1-300)
kill "$DPID"; wait "$DPID" 2>/dev/null || true; DPID=""

# ---- Linux bridge, same namespaces
$H ip link add lvsidle-br type bridge
$H ip link set lvsidle-br up
for i in $(seq 1 "$N"); do $H ip link set lvsidle"${i}"h master lvsidle-br; done
ip netns exec lvsidle-ns1 ping -q -c 3 -i 0.2 10.97.0.2 >/dev/null
BR_SLOW=$(ping_avg_us 0.1 "$SLOW_PINGS")
BR_FAST=$(ping_avg_us 0.01 "$FAST_PINGS")

ratio() { awk -v a="$1" -v b="$2" 'BEGIN{ if (b > 0) printf "%.2f", a/b; else print "NA" }'; }
TABLE=$(cat <<EOT
| measurement | Linux bridge | Lite vSwitch | ratio | target |
|---|---|---|---|---|
| CPU of the switch, $N containers idle ${IDLE_S} s (% of one core) | 0 (kernel, no thread) | $SW_IDLE | | <= 2 |
| ping RTT, 1 per 100 ms (us) | $BR_SLOW | $SW_SLOW | $(ratio "$SW_SLOW" "$BR_SLOW") | <= 1.3 |
| ping RTT, 100 per s (us) | $BR_FAST | $SW_FAST | $(ratio "$SW_FAST" "$BR_FAST") | <= 1.2 |
EOT
)
echo "$TABLE"
echo "PMD: $PMD"
if [ "$RECORD" = 1 ]; then
  OUT=bench/results/idle-$(date +%Y-%m-%d)-$(hostname -s).md
  {
    echo "# Idle cost and wake-up latency ($(date -u +%FT%TZ))"
    echo
    echo "Command: \`PMD_SLEEP=${PMD_SLEEP:-adaptive} N=$N IDLE_S=$IDLE_S SLOW_PINGS=$SLOW_PINGS FAST_PINGS=$FAST_PINGS bench/idle_cost.sh\`"
    echo
    echo "Machine: $(lscpu | sed -n 's/Model name: *//p' | head -1), $(nproc) cores, kernel $(uname -r), load $(cut -d' ' -f1-3 /proc/loadavg)"
    echo
    echo "$TABLE"
    echo
    echo "vswitchd: default options, pmd-sleep=${PMD_SLEEP:-adaptive}, $N system ports (AF_PACKET) on one bridge."
    echo "PMD statistics at the end of the idle period: $PMD"
  } > "$OUT"
  echo "recorded in $OUT" >&2
fi
