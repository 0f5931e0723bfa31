#!/usr/bin/env bash
# Scenario 3 - two containers (network namespaces) joined through: Lite vSwitch (vswitchd as
# shipped, the veths as system ports), the Linux bridge (docker0's datapath), Open vSwitch
# userspace (ovs-netdev, veths through AF_PACKET) and Open vSwitch-DPDK (veths as net_af_packet
# vdevs, one PMD core). Per round, each system in turn: TCP Gbit/s (iperf3, 1 stream), 64-byte
# UDP frames received and lost (trafgen, one sender thread), ping RTT (-i 0.01).
# CPU: the switch's processes + all softirq while each measurement ran.
set -uo pipefail
SCENARIO=containers
# shellcheck source=bench/lib/common.sh
. "$BENCH_DIR/lib/common.sh"
# shellcheck source=bench/lib/netns.sh
. "$BENCH_DIR/lib/netns.sh"
# shellcheck source=bench/lib/measure.sh
. "$BENCH_DIR/lib/measure.sh"
# shellcheck source=bench/peers/lvs.sh
. "$BENCH_DIR/peers/lvs.sh"
# shellcheck source=bench/peers/ovs.sh
. "$BENCH_DIR/peers/ovs.sh"

PINGS=200
[ "$QUICK" = 1 ] && PINGS=50
TCP="TCP, 1 stream"
TG="64-byte UDP frames (trafgen)"
PING="ping RTT, 100 per s"
LB="Linux bridge" OVSN="OVS userspace (netdev)" OVSD="OVS-DPDK (net_af_packet)"
OVS_TXOFF_NOTE="(containers' tx offloads off: OVS's userspace datapaths need it)"
trap 'lvs_down sw; ovs_down; containers_down' EXIT

fail_all() {  # system reason
  local c
  for c in "$TCP" "$TG" "$PING"; do failed "$c" "$1" "$2"; done
}

# One round of the three measurements on the topology that is up; $1 = system, $2 = round.
measure_all() {
  local sys=$1 r=$2 mode=all  # the switch's processes + softirq
  ip netns exec "$C1" ping -q -c 3 -i 0.2 -W 2 "$IP2" >/dev/null ||
    { fail_all "$sys" "no connectivity (first pings lost)"; return; }
  tcp_gbps "$C1" "$C2" "$IP2"
  if is_number "$RESULT"; then sample_cpu "$mode" "$TCP" "$sys" throughput Gbit/s higher "$RESULT" "$r"
  else failed "$TCP" "$sys" "iperf3 got nothing across"; fi
  trafgen_rx "$C1" "$C2" eth0
  if [ -n "$RESULT" ]; then
    sample_cpu "$mode" "$TG" "$sys" received Mpps higher "${RESULT% *}" "$r"
    sample "$TG" "$sys" loss % lower "${RESULT#* }" "$r"
  else failed "$TG" "$sys" "trafgen sent nothing: $(tail -1 "$WORK/trafgen.log")"; fi
  ping_us "$C1" "$IP2" "$PINGS" 0.01
  if is_number "$RESULT"; then sample_cpu "$mode" "$PING" "$sys" RTT us lower "$RESULT" "$r"
  else failed "$PING" "$sys" "no ping answered"; fi
}

run_lvs() {
  local r=$1 sys="Lite vSwitch"
  containers_up || { fail_all "$sys" "namespaces"; return; }
  if ! lvs_up sw "$HOSTNS"; then fail_all "$sys" "$LVS_ERROR"; containers_down; return; fi
  if ! lvsctl sw add-br lvb-sw -- add-port lvb-sw lvb1h -- add-port lvb-sw lvb2h >/dev/null; then
    fail_all "$sys" "vsctl add-port refused"
  else
    command_of "$sys" "$LVS_CMD; vsctl add-br lvb-sw -- add-port lvb-sw lvb1h -- add-port lvb-sw lvb2h"
    MEASURE_PIDS=("${LVS_PID[sw]}")
    measure_all "$sys" "$r"
  fi
  lvs_down sw
  containers_down
}

run_bridge() {
  local r=$1
  containers_up || { fail_all "$LB" "namespaces"; return; }
  if ! { ip -n "$HOSTNS" link add lvb-br type bridge && ip -n "$HOSTNS" link set lvb-br up &&
    ip -n "$HOSTNS" link set lvb1h master lvb-br && ip -n "$HOSTNS" link set lvb2h master lvb-br; }; then
    fail_all "$LB" "ip link add type bridge failed"
    containers_down
    return
  fi
  command_of "$LB" "ip link add lvb-br type bridge; ip link set lvbNh master lvb-br"
  MEASURE_PIDS=()
  measure_all "$LB" "$r"
  containers_down
}

run_ovs() {  # round plain|dpdk
  local r=$1 kind=$2 sys=$OVSN err p
  [ "$kind" = dpdk ] && sys=$OVSD
  containers_up txoff || { fail_all "$sys" "namespaces"; return; }
  if ! ovs_up "$kind" "$HOSTNS"; then fail_all "$sys" "$OVS_ERROR"; ovs_down; containers_down; return; fi
  ovs-vsctl add-br br-lvb -- set bridge br-lvb datapath_type=netdev
  if [ "$kind" = plain ]; then
    ovs-vsctl add-port br-lvb lvb1h -- add-port br-lvb lvb2h
    command_of "$sys" "ovs-vswitchd (OVS $(ovs_version)); ovs-vsctl add-br br-lvb -- set bridge br-lvb datapath_type=netdev; add-port br-lvb lvb1h, lvb2h $OVS_TXOFF_NOTE"
  else
    for p in 1 2; do
      ovs-vsctl add-port br-lvb "d$p" -- set Interface "d$p" type=dpdk \
        "options:dpdk-devargs=net_af_packet$p,iface=lvb${p}h"
    done
    command_of "$sys" "ovs-vswitchd-dpdk (OVS $(ovs_version)), PMD core $OVS_PMD_CORE; add-port br-lvb dN type=dpdk options:dpdk-devargs=net_af_packetN,iface=lvbNh $OVS_TXOFF_NOTE"
  fi
  ip -n "$HOSTNS" link set br-lvb up 2>/dev/null
  sleep 1
  for p in $(ovs-vsctl list-ports br-lvb); do
    err=$(ovs_iface_ok "$p") || { fail_all "$sys" "port $p: $err"; ovs_down; containers_down; return; }
  done
  MEASURE_PIDS=("$(ovs_pid)")
  measure_all "$sys" "$r"
  ovs_down
  containers_down
}

for t in iperf3 trafgen ping ethtool; do command -v $t >/dev/null || { loud "missing $t"; exit 1; }; done
note "Both containers keep the kernel's default offloads, except for the two Open vSwitch peers" \
  "$OVS_TXOFF_NOTE. CPU s = the switch's processes + every CPU's softirq time during the measurement" \
  "(the Linux bridge forwards in softirq; the endpoints' own stacks add the same softirq for every system)."
for r in $(seq 1 "$REPS"); do
  log "round $r of $REPS"
  run_lvs "$r"
  run_bridge "$r"
  run_ovs "$r" plain
  run_ovs "$r" dpdk
done
exit 0
