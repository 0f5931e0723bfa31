#!/usr/bin/env bash
# tunnel_profile.sh - one iperf3 run across bench/tunnel_compare.sh's two namespaced hosts (same
# namespaces, addresses and setup functions, taken from that script), printing Gbit/s and the CPU
# seconds each host's vswitchd spent per Gbit transferred (utime + stime from /proc, all its
# threads), optionally with `perf record -g` of both vswitchds (1 s in, for 3 s).
#
#   sudo bench/tunnel_profile.sh BUILD_DIR|kernel [perf|none] [""|-R] [DUR]
#
# Knobs (environment): KIND=vxlan|gre (the switch's tunnel port type), SLEEP=off|adaptive
# (other_config:pmd-sleep), OUT=dir for perf1.data / perf2.data (default /tmp/lvs-tunnel-profile).
# Compare builds side by side by alternating runs under `nice -n -15`.
set -u
export PATH=/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C
HERE=$(cd "$(dirname "$0")" && pwd)
BUILD=${1:-$HERE/../build} MODE=${2:-none} DIR=${3:-} DUR=${4:-5}
OUT=${OUT:-/tmp/lvs-tunnel-profile}
eval "$(sed -n '/^MTU=/p;/^W=/p;/^log()/p;/^teardown()/,/^}/p;/^setup_common()/,/^}/p;
  /^setup_switch()/,/^}/p;/^setup_kernel()/,/^}/p' "$HERE/tunnel_compare.sh")"
mkdir -p "$W" "$OUT"
teardown
setup_common
if [ "$BUILD" = kernel ]; then setup_kernel; else setup_switch || { teardown; exit 1; }; fi
vsctl() { ip netns exec "lth$1" "$BUILD/ctl/vsctl" --socket="$W/sock$1" "${@:2}"; }
if [ "$BUILD" != kernel ]; then
  for i in 1 2; do
    [ "${KIND:-vxlan}" = gre ] && vsctl $i set interface vx0 type=gre
    [ -n "${SLEEP:-}" ] && vsctl $i set Open_vSwitch . other_config:pmd-sleep="$SLEEP"
  done
fi
ip netns exec ltc1 ping -c 3 -i 0.2 -W 2 10.96.0.2 >/dev/null || echo "no ping" >&2
ip netns exec ltc2 iperf3 -s -1 -D -B 10.96.0.2 >/dev/null 2>&1
sleep 0.3
if [ "$MODE" = perf ] && [ "$BUILD" != kernel ]; then
  for i in 1 2; do
    (sleep 1; perf record -g -o "$OUT/perf$i.data" -p "$(cat "$W/d$i.pid")" -- sleep 3 \
      >/dev/null 2>&1) &
  done
fi
cpu() { [ "$BUILD" = kernel ] && { echo 0; return; }; awk '{print $14 + $15}' "/proc/$(cat "$W/d$1.pid")/stat"; }
a1=$(cpu 1) a2=$(cpu 2)
G=$(ip netns exec ltc1 timeout $((DUR + 15)) iperf3 -c 10.96.0.2 -t "$DUR" $DIR -J 2>/dev/null |
  python3 -c 'import json,sys; print("%.2f" % (json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"]/1e9))')
b1=$(cpu 1) b2=$(cpu 2)
hz=$(getconf CLK_TCK)
python3 -c "g = float('${G:-0}' or 0); d = $DUR; hz = $hz
f = lambda a, b: (b - a) / hz / (g * d) if g else 0
print('%s Gbit/s  cpu-s/Gbit h1 %.3f h2 %.3f' % ('${G:-0}', f($a1, $b1), f($a2, $b2)))"
wait
[ "$BUILD" != kernel ] && for i in 1 2; do vsctl $i dpif/pmd-stats-show >&2; done
teardown
