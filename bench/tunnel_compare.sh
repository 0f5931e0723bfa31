#!/usr/bin/env bash
# tunnel_compare.sh - container-to-container TCP across a VXLAN tunnel between two namespaced
# "hosts" joined by an underlay LAN (a Linux bridge in its own namespace), measured two ways in
# one run: (a) Lite vSwitch (`vswitchd` + `vsctl` in each host namespace: one bridge, the
# container's veth as a system port, a vxlan port VNI 42), (b) a Linux bridge + kernel VXLAN
# device (VNI 42, dstport 4789) in each host. Containers keep the kernel's default offloads and
# get MTU 1450 (1500-byte underlay less 50 bytes of VXLAN over IPv4) in both cases.
#
#   sudo bench/tunnel_compare.sh [BUILD_DIR]      (default BUILD_DIR: build)
#
# Knobs (environment): REPS=3 DUR=5. Prints a table (median Gbit/s, each direction) and ratios.
# CLUSTER=1 adds (c) the same switch with its tunnel made by the cluster (issue 17): etcd in the
# underlay namespace, other_config:cluster-store on both hosts, Bridge cluster-vni=42.
# Names used: netns ltw, lth1, lth2, ltc1, ltc2; 10.97.0.0/24 underlay, 10.96.0.0/24 containers.
set -u
export PATH=/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C
HERE=$(cd "$(dirname "$0")" && pwd)
BUILD=${1:-$HERE/../build}
REPS=${REPS:-3} DUR=${DUR:-5}
MTU=1450
W=/tmp/lvs-tunnel-compare
log() { echo "[$(date +%T)] $*" >&2; }
for b in ctl/vswitchd ctl/vsctl; do [ -x "$BUILD/$b" ] || { log "build $BUILD/$b first"; exit 1; }; done
mkdir -p "$W"

teardown() {
  local i
  for i in 1 2; do
    [ -f "$W/d$i.pid" ] && kill "$(cat "$W/d$i.pid")" 2>/dev/null
    rm -f "$W/d$i.pid"
  done
  sleep 0.5
  for n in ltc1 ltc2 lth1 lth2 ltw; do
    ip netns pids $n 2>/dev/null | xargs -r kill 2>/dev/null
    ip netns del $n 2>/dev/null
  done
  rm -rf "$W"/db* "$W"/sock*
  return 0
}
trap 'teardown; exit 130' INT TERM

# Underlay LAN, two hosts, one container per host (veth host end "ce" in the host).
setup_common() {
  ip netns add ltw && ip -n ltw link add wbr type bridge && ip -n ltw link set wbr up
  for i in 1 2; do
    ip netns add lth$i && ip netns add ltc$i
    ip -n lth$i link set lo up
    ip link add up$i netns lth$i type veth peer name wp$i netns ltw
    ip -n lth$i link set up$i name uplink
    ip -n lth$i addr add 10.97.0.$i/24 dev uplink && ip -n lth$i link set uplink up
    ip -n ltw link set wp$i master wbr && ip -n ltw link set wp$i up
    ip -n lth$i link add ce type veth peer name eth0 netns ltc$i
    ip -n lth$i link set ce up
    ip -n ltc$i link set lo up
    ip -n ltc$i link set eth0 mtu $MTU
    ip -n ltc$i addr add 10.96.0.$i/24 dev eth0 && ip -n ltc$i link set eth0 up
  done
}

setup_switch() {
  local i other
  for i in 1 2; do
    other=$((3 - i))
    ip netns exec lth$i "$BUILD/ctl/vswitchd" --db "$W/db$i.json" --socket "$W/sock$i" \
      --pidfile "$W/d$i.pid" --log-file "$W/d$i.log" --detach || return 1
    ip netns exec lth$i "$BUILD/ctl/vsctl" --socket="$W/sock$i" --may-exist add-br br0 -- \
      add-port br0 ce -- add-port br0 vx0 -- set interface vx0 type=vxlan \
      options:remote_ip=10.97.0.$other options:key=42 || return 1
  done
}

# (c): no tunnel typed; each host joins the cluster and the tunnel appears by itself.
setup_cluster() {
  local i
  ip -n ltw link set lo up && ip -n ltw addr add 10.97.0.100/24 dev wbr || return 1
  rm -rf "$W/etcd"
  ip netns exec ltw etcd --name b --data-dir "$W/etcd" --listen-client-urls http://10.97.0.100:2379 \
    --advertise-client-urls http://10.97.0.100:2379 --listen-peer-urls http://127.0.0.1:2380 \
    --initial-advertise-peer-urls http://127.0.0.1:2380 --initial-cluster b=http://127.0.0.1:2380 \
    >"$W/etcd.log" 2>&1 &
  for i in 1 2; do
    ip netns exec lth$i "$BUILD/ctl/vswitchd" --db "$W/db$i.json" --socket "$W/sock$i" \
      --pidfile "$W/d$i.pid" --log-file "$W/d$i.log" --detach || return 1
    ip netns exec lth$i "$BUILD/ctl/vsctl" --socket="$W/sock$i" --may-exist add-br br0 -- \
      add-port br0 ce -- set Bridge br0 other_config:cluster-vni=42 -- set Open_vSwitch . \
      other_config:cluster-store=etcd://10.97.0.100:2379 other_config:cluster-local-ip=10.97.0.$i || return 1
  done
  for _ in $(seq 100); do
    ip netns exec lth1 "$BUILD/ctl/vsctl" --socket="$W/sock1" cluster/show | grep -q "10.97.0.2 (10.97.0.2)" && return 0
    sleep 0.1
  done
  return 1
}

setup_kernel() {
  local i other
  for i in 1 2; do
    other=$((3 - i))
    ip -n lth$i link add kbr type bridge
    ip -n lth$i link add vx0 type vxlan id 42 dstport 4789 remote 10.97.0.$other \
      local 10.97.0.$i dev uplink
    ip -n lth$i link set vx0 master kbr && ip -n lth$i link set ce master kbr
    ip -n lth$i link set vx0 up && ip -n lth$i link set kbr up
  done
}

# Median Gbit/s of REPS runs of iperf3 ltc1 -> ltc2 ($1 = "" or "-R").
measure() {
  local dir=$1 r vals=()
  ip netns exec ltc1 ping -c 3 -i 0.2 -W 2 10.96.0.2 >/dev/null || { echo "no-ping"; return; }
  for r in $(seq "$REPS"); do
    ip netns exec ltc2 iperf3 -s -1 -D -B 10.96.0.2 >/dev/null 2>&1
    sleep 0.3
    vals+=("$(ip netns exec ltc1 timeout $((DUR + 15)) iperf3 -c 10.96.0.2 -t "$DUR" $dir -J 2>/dev/null |
      python3 -c 'import json,sys; print("%.2f" % (json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"]/1e9))' 2>/dev/null || echo 0)")
  done
  printf '%s\n' "${vals[@]}" | sort -n | sed -n "$(((REPS + 1) / 2))p"
}

teardown
log "Linux bridge + kernel VXLAN"
setup_common && setup_kernel || { log "kernel setup failed"; teardown; exit 1; }
k_fwd=$(measure "") k_rev=$(measure "-R")
teardown
log "Lite vSwitch VXLAN (vswitchd in each host namespace)"
setup_common && setup_switch || { log "switch setup failed"; cat "$W"/d*.log; teardown; exit 1; }
s_fwd=$(measure "") s_rev=$(measure "-R")
ip netns exec lth1 "$BUILD/ctl/vsctl" --socket="$W/sock1" get interface vx0 statistics >&2
teardown

if [ "${CLUSTER:-0}" = 1 ]; then
  log "Lite vSwitch VXLAN, tunnel made by the cluster (etcd)"
  setup_common && setup_cluster || { log "cluster setup failed"; cat "$W"/d*.log; teardown; exit 1; }
  ip netns exec lth1 "$BUILD/ctl/vsctl" --socket="$W/sock1" cluster/show >&2
  c_fwd=$(measure "") c_rev=$(measure "-R")
  teardown  # etcd runs in ltw: it goes with the namespace's processes
fi

ratio() { python3 -c "a,b=float('$1' or 0),float('$2' or 0); print('%.2f' % (a/b) if b else 'n/a')"; }
echo "container MTU $MTU on both sides; underlay MTU 1500; VNI 42; REPS=$REPS DUR=${DUR}s"
printf '%-34s %14s %14s\n' "TCP Gbit/s (median)" "c1 -> c2" "c2 -> c1"
printf '%-34s %14s %14s\n' "Linux bridge + kernel VXLAN" "$k_fwd" "$k_rev"
printf '%-34s %14s %14s\n' "Lite vSwitch VXLAN (kernel udp)" "$s_fwd" "$s_rev"
printf '%-34s %14s %14s\n' "ratio switch / kernel" "$(ratio "$s_fwd" "$k_fwd")" "$(ratio "$s_rev" "$k_rev")"
if [ "${CLUSTER:-0}" = 1 ]; then
  printf '%-34s %14s %14s\n' "Lite vSwitch, cluster tunnel" "$c_fwd" "$c_rev"
  printf '%-34s %14s %14s\n' "ratio cluster / kernel" "$(ratio "$c_fwd" "$k_fwd")" "$(ratio "$c_rev" "$k_rev")"
fi
