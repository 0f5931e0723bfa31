#!/usr/bin/env bash
# offload_compare.sh - TCP, 1 stream, between two namespaces through vswitchd with kernel offload
# on (other_config:kernel-offload=true, ports/offload/), with it off (the AF_PACKET userspace
# path), and through a Linux bridge; back to back, REPS rounds of the three, median per row.
# (containers_compare.sh measures the same three, and issue 15's other targets, in one run.)
#
#   sudo bench/offload_compare.sh [BUILD_DIR]      knobs: REPS=3 DUR=5
#
# The switch runs in a namespace playing the host; vsattach attaches both containers (access
# VLAN 10); lib/topology.sh builds both sides. Names: netns lof-b-*, 10.97.0.0/24, 10.97.1.0/24.
set -u
export PATH=/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C
BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
BUILD=$(realpath -m "${1:-$BENCH_DIR/../build}")
REPS=${REPS:-3} DUR=${DUR:-5}
P=lof-b SCENARIO=offload
WORK=$(mktemp -d /tmp/lvs-offload-bench.XXXXXX)
# shellcheck source=bench/lib/common.sh
. "$BENCH_DIR/lib/common.sh"
# shellcheck source=bench/peers/lvs.sh
. "$BENCH_DIR/peers/lvs.sh"
# shellcheck source=bench/lib/topology.sh
. "$BENCH_DIR/lib/topology.sh"
cleanup() { topology_down sw "$P"; rm -rf "$WORK"; }
trap cleanup EXIT
trap 'exit 130' INT TERM
gbps() {  # gbps NS IP: iperf3 -t DUR, 1 stream, Gbit/s received
  ip netns exec "$1" iperf3 -c "$2" -t "$DUR" -O 1 -J >"$WORK/i.json" || { echo 0; return; }
  python3 -c 'import json,sys; print("%.2f" % (json.load(open(sys.argv[1]))["end"]["sum_received"]["bits_per_second"]/1e9))' "$WORK/i.json"
}

vswitchd_up sw $P 10.97.0 2 @10 || { loud "$TOPOLOGY_ERROR"; exit 1; }
bridge_up $P 10.97.1 || { loud "Linux bridge topology failed"; exit 1; }
ip netns exec ${P}-c2 iperf3 -s -D
ip netns exec ${P}-l2 iperf3 -s -D
sleep 0.5
ip netns exec ${P}-c1 ping -q -c 3 -i 0.1 10.97.0.2 >/dev/null
ip netns exec ${P}-l1 ping -q -c 3 -i 0.1 10.97.1.2 >/dev/null

declare -A R
for r in $(seq "$REPS"); do
  lvsctl sw set Open_vSwitch . other_config:kernel-offload=true
  ip netns exec ${P}-c1 ping -q -c 2 -i 0.1 10.97.0.2 >/dev/null
  R[on]+="$(gbps ${P}-c1 10.97.0.2) "
  lvsctl sw set Open_vSwitch . other_config:kernel-offload=false
  R[off]+="$(gbps ${P}-c1 10.97.0.2) "
  R[bridge]+="$(gbps ${P}-l1 10.97.1.2) "
  log "round $r: on ${R[on]}| off ${R[off]}| bridge ${R[bridge]}"
done
lvsctl sw set Open_vSwitch . other_config:kernel-offload=true
med() { python3 -c 'import statistics,sys; print("%.2f" % statistics.median(map(float, sys.argv[1].split())))' "$1"; }
on=$(med "${R[on]}") off=$(med "${R[off]}") br=$(med "${R[bridge]}")
ratio() { python3 -c 'import sys; a,b=map(float,sys.argv[1:]); print("%.2f" % (a/b if b else 0))' "$1" "$2"; }
echo "| path | TCP 1 stream, Gbit/s (median of $REPS x ${DUR}s) | runs | vs Linux bridge |"
echo "|---|---|---|---|"
echo "| vswitchd, kernel offload on | $on | ${R[on]}| $(ratio "$on" "$br")x |"
echo "| vswitchd, kernel offload off | $off | ${R[off]}| $(ratio "$off" "$br")x |"
echo "| Linux bridge | $br | ${R[bridge]}| 1.00x |"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
