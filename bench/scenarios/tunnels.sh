#!/usr/bin/env bash
# Scenario 4 - container TCP across a tunnel between two namespaced "hosts" on an underlay LAN
# (a Linux bridge in its own namespace): Lite vSwitch (vswitchd + vsctl in each host, the
# container's veth as a system port, a vxlan or gre port, key 42) vs the Linux bridge + a kernel
# VXLAN device (VNI 42, port 4789) in each host. Containers get MTU 1450 (room for VXLAN or GRE
# with a key over a 1500-byte underlay) and the kernel's default offloads.
# CPU: both hosts' vswitchd + all softirq (the kernel tunnel's work is softirq).
set -uo pipefail
SCENARIO=tunnels
# shellcheck source=bench/lib/common.sh
. "$BENCH_DIR/lib/common.sh"
# shellcheck source=bench/lib/measure.sh
. "$BENCH_DIR/lib/measure.sh"
# shellcheck source=bench/peers/lvs.sh
. "$BENCH_DIR/peers/lvs.sh"
MTU=1450
NAMES=(lvt-c1 lvt-c2 lvt-h1 lvt-h2 lvt-wire)
trap 'lvs_down h1; lvs_down h2; down' EXIT

down() {
  local n
  for n in "${NAMES[@]}"; do
    ip netns pids "$n" 2>/dev/null | xargs -r kill 2>/dev/null
    ip netns del "$n" 2>/dev/null
  done
  return 0
}

# Underlay 10.95.0.0/24 (hosts .1 and .2), containers 10.94.0.1 and .2, veth "ce" in each host.
up() {
  local i
  down
  ip netns add lvt-wire && ip -n lvt-wire link add wbr type bridge && ip -n lvt-wire link set wbr up || return 1
  for i in 1 2; do
    ip netns add "lvt-h$i" && ip netns add "lvt-c$i" || return 1
    ip -n "lvt-h$i" link set lo up
    ip link add "lvtu$i" netns "lvt-h$i" type veth peer name "lvtw$i" netns lvt-wire || return 1
    ip -n "lvt-h$i" link set "lvtu$i" name uplink
    ip -n "lvt-h$i" addr add "10.95.0.$i/24" dev uplink && ip -n "lvt-h$i" link set uplink up
    ip -n lvt-wire link set "lvtw$i" master wbr && ip -n lvt-wire link set "lvtw$i" up
    ip -n "lvt-h$i" link add ce type veth peer name eth0 netns "lvt-c$i" || return 1
    ip netns exec "lvt-h$i" sysctl -qw net.ipv6.conf.ce.disable_ipv6=1
    ip -n "lvt-h$i" link set ce up
    ip -n "lvt-c$i" link set lo up
    ip -n "lvt-c$i" link set eth0 mtu $MTU
    ip -n "lvt-c$i" addr add "10.94.0.$i/24" dev eth0 && ip -n "lvt-c$i" link set eth0 up
  done
}

measure() {  # case system round
  local c=$1 sys=$2 r=$3
  if ! ip netns exec lvt-c1 ping -q -c 3 -i 0.2 -W 2 10.94.0.2 >/dev/null; then
    failed "$c" "$sys" "no connectivity across the tunnel (first pings lost)"
    return
  fi
  tcp_gbps lvt-c1 lvt-c2 10.94.0.2
  if is_number "$RESULT"; then sample_cpu all "$c" "$sys" throughput Gbit/s higher "$RESULT" "$r"
  else failed "$c" "$sys" "iperf3 got nothing across"; fi
}

run_lvs() {  # vxlan|gre round
  local type=$1 r=$2 c="${1^^}, TCP 1 stream" sys="Lite vSwitch" i other
  up || { failed "$c" "$sys" "namespaces"; down; return; }
  for i in 1 2; do
    other=$((3 - i))
    if ! lvs_up "h$i" "lvt-h$i"; then failed "$c" "$sys" "$LVS_ERROR"; lvs_down h1; down; return; fi
    if ! lvsctl "h$i" add-br lvt -- add-port lvt ce -- add-port lvt t0 -- set interface t0 \
      type="$type" options:remote_ip="10.95.0.$other" options:key=42 >/dev/null; then
      failed "$c" "$sys" "vsctl refused the $type port"; lvs_down h1; lvs_down h2; down; return
    fi
  done
  command_of "$sys $type" "$LVS_CMD (in each host netns); vsctl add-br lvt -- add-port lvt ce -- add-port lvt t0 -- set interface t0 type=$type options:remote_ip=OTHER options:key=42"
  MEASURE_PIDS=("${LVS_PID[h1]}" "${LVS_PID[h2]}")
  measure "$c" "$sys" "$r"
  lvs_down h1
  lvs_down h2
  down
}

run_kernel_vxlan() {
  local r=$1 c="VXLAN, TCP 1 stream" sys="Linux bridge + kernel VXLAN" i other
  up || { failed "$c" "$sys" "namespaces"; down; return; }
  for i in 1 2; do
    other=$((3 - i))
    if ! { ip -n "lvt-h$i" link add kbr type bridge &&
      ip -n "lvt-h$i" link add vx0 type vxlan id 42 dstport 4789 remote "10.95.0.$other" \
        local "10.95.0.$i" dev uplink &&
      ip -n "lvt-h$i" link set vx0 master kbr && ip -n "lvt-h$i" link set ce master kbr &&
      ip -n "lvt-h$i" link set vx0 up && ip -n "lvt-h$i" link set kbr up; }; then
      failed "$c" "$sys" "ip link add type vxlan failed"
      down
      return
    fi
  done
  command_of "$sys" "ip link add kbr type bridge; ip link add vx0 type vxlan id 42 dstport 4789 remote OTHER local SELF dev uplink; vx0 and ce in kbr"
  MEASURE_PIDS=()
  measure "$c" "$sys" "$r"
  down
}

# The kernel's gretap, when this kernel has one (ip_gre); otherwise say so instead of a number.
kernel_gre_missing() {
  local why
  ip netns add lvt-wire || return 0
  why=$(ip -n lvt-wire link add g0 type gretap remote 10.95.0.2 local 10.95.0.1 key 42 2>&1)
  ip netns del lvt-wire
  [ -n "$why" ] && echo "$why"
}

note "Container MTU $MTU, underlay MTU 1500, key/VNI 42. CPU s = both hosts' vswitchd + all softirq."
gre_missing=$(kernel_gre_missing)
for r in $(seq 1 "$REPS"); do
  log "round $r of $REPS"
  run_lvs vxlan "$r"
  run_kernel_vxlan "$r"
  run_lvs gre "$r"
done
if [ -n "$gre_missing" ]; then
  not_available "GRE, TCP 1 stream" "kernel gretap" "this kernel has no GRE (ip link add type gretap: $gre_missing), so GRE has no kernel peer here"
else
  note "This kernel has gretap, but the suite does not measure it yet."
fi
exit 0
