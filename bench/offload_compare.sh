#!/usr/bin/env bash
# offload_compare.sh - TCP, 1 stream, between two namespaces through vswitchd with kernel offload
# on (other_config:kernel-offload=true, ports/offload/), with it off (the AF_PACKET userspace
# path), and through a Linux bridge; back to back, REPS rounds of the three, median per row.
#
#   sudo bench/offload_compare.sh [BUILD_DIR]      knobs: REPS=3 DUR=5
#
# The switch runs in a namespace playing the host; vsattach attaches both containers (access
# VLAN 10). Names: netns lof-b-*, 10.97.0.0/24.
set -u
export PATH=/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C
HERE=$(cd "$(dirname "$0")" && pwd)
BUILD=${1:-$HERE/../build}
REPS=${REPS:-3} DUR=${DUR:-5}
P=lof-b
W=$(mktemp -d /tmp/lvs-offload-bench.XXXXXX)
log() { echo "[$(date +%T)] $*" >&2; }
cleanup() {
  [ -f "$W/d.pid" ] && kill "$(cat "$W/d.pid")" 2>/dev/null && sleep 0.5
  for n in ${P}-h ${P}-c1 ${P}-c2 ${P}-l ${P}-l1 ${P}-l2; do
    ip netns pids $n 2>/dev/null | xargs -r kill 2>/dev/null
    ip netns del $n 2>/dev/null
  done
  rm -rf "$W"
}
trap cleanup EXIT
vsctl() { ip netns exec ${P}-h "$BUILD/ctl/vsctl" --socket="$W/sock" "$@"; }
gbps() {  # gbps NS IP: iperf3 -t DUR, 1 stream, Gbit/s received
  ip netns exec "$1" iperf3 -c "$2" -t "$DUR" -O 1 -J >"$W/i.json" || { echo 0; return; }
  python3 -c 'import json,sys; print("%.2f" % (json.load(open(sys.argv[1]))["end"]["sum_received"]["bits_per_second"]/1e9))' "$W/i.json"
}

# The switch.
ip netns add ${P}-h && ip -n ${P}-h link set lo up
ip netns exec ${P}-h "$BUILD/ctl/vswitchd" --db "$W/db.json" --socket "$W/sock" \
  --pidfile "$W/d.pid" --log-file "$W/d.log" --detach || exit 1
for i in 1 2; do
  ip netns add ${P}-c$i && ip -n ${P}-c$i link set lo up
  ip netns exec ${P}-h "$BUILD/ctl/vsattach" --socket "$W/sock" brb ${P}-c$i 10.97.0.$i/24 @10 >/dev/null || exit 1
done
ip netns exec ${P}-c2 iperf3 -s -D
# The Linux bridge, in its own host namespace.
ip netns add ${P}-l && ip -n ${P}-l link add br0 type bridge && ip -n ${P}-l link set br0 up
for i in 1 2; do
  ip netns add ${P}-l$i && ip -n ${P}-l$i link set lo up
  ip -n ${P}-l link add v$i type veth peer name eth0 netns ${P}-l$i
  ip -n ${P}-l link set v$i master br0 up
  ip -n ${P}-l$i addr add 10.97.1.$i/24 dev eth0 && ip -n ${P}-l$i link set eth0 up
done
ip netns exec ${P}-l2 iperf3 -s -D
sleep 0.5
ip netns exec ${P}-c1 ping -q -c 3 -i 0.1 10.97.0.2 >/dev/null
ip netns exec ${P}-l1 ping -q -c 3 -i 0.1 10.97.1.2 >/dev/null

declare -A R
for r in $(seq "$REPS"); do
  vsctl set Open_vSwitch . other_config:kernel-offload=true
  ip netns exec ${P}-c1 ping -q -c 2 -i 0.1 10.97.0.2 >/dev/null
  R[on]+="$(gbps ${P}-c1 10.97.0.2) "
  vsctl set Open_vSwitch . other_config:kernel-offload=false
  R[off]+="$(gbps ${P}-c1 10.97.0.2) "
  R[bridge]+="$(gbps ${P}-l1 10.97.1.2) "
  log "round $r: on ${R[on]}| off ${R[off]}| bridge ${R[bridge]}"
done
vsctl set Open_vSwitch . other_config:kernel-offload=true
med() { python3 -c 'import statistics,sys; print("%.2f" % statistics.median(map(float, sys.argv[1:])))' $1; }
on=$(med "${R[on]}") off=$(med "${R[off]}") br=$(med "${R[bridge]}")
ratio() { python3 -c 'import sys; a,b=map(float,sys.argv[1:]); print("%.2f" % (a/b if b else 0))' "$1" "$2"; }
echo "| path | TCP 1 stream, Gbit/s (median of $REPS x ${DUR}s) | runs | vs Linux bridge |"
echo "|---|---|---|---|"
echo "| vswitchd, kernel offload on | $on | ${R[on]}| $(ratio $on $br)x |"
echo "| vswitchd, kernel offload off | $off | ${R[off]}| $(ratio $off $br)x |"
echo "| Linux bridge | $br | ${R[bridge]}| 1.00x |"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
