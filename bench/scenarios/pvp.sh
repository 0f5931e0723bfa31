#!/usr/bin/env bash
# Scenario 2 - PVP loop over vhost-user: a dpdk-testpmd "VM side" with two virtio_user ports
# (servers of the vhost-user sockets, MAC forwarding, so that each port's frames carry its own
# source MAC and the other's as destination) loops frames through the device under test, which
# connects to both sockets as a vhost-user client and forwards between them: this switch
# (vswitchd, dpdkvhostuserclient ports), dpdk-testpmd io (net_vhost client=1), Open vSwitch-DPDK
# (dpdkvhostuserclient, NORMAL). The loop starts with 4 bursts per port ("start tx_first 4");
# Mpps = frames the VM side received per second, both ports, over DUR seconds. The VM side runs
# on CPU $GEN_CORE, the device under test's PMD on CPU $CORE.
set -uo pipefail
SCENARIO=pvp
# shellcheck source=bench/lib/common.sh
. "$BENCH_DIR/lib/common.sh"
# shellcheck source=bench/peers/ovs.sh
. "$BENCH_DIR/peers/ovs.sh"
# shellcheck source=bench/peers/lvs.sh
. "$BENCH_DIR/peers/lvs.sh"
CORE=${CORE:-1} GEN_CORE=${GEN_CORE:-0}
CASE="PVP loop, 64 B, vhost-user"
D=$WORK/pvp
MAC0=02:00:00:00:0a:00 MAC1=02:00:00:00:0a:01
GEN_HUGE_MB=512
mkdir -p "$D"
trap 'lvs_down pvp; ovs_down; huge_down; ip netns del lvb-pvp 2>/dev/null' EXIT

# The VM side: runs for DUR + start-up seconds, then prints Mpps received (both ports) or nothing.
GEN=(dpdk-testpmd --in-memory --single-file-segments -m "$GEN_HUGE_MB" --huge-dir "$WORK/huge"
  --file-prefix "lvsgen$$" --lcores "0@$GEN_CORE,1@$GEN_CORE" --no-pci --no-telemetry
  --vdev "net_virtio_user0,path=$D/vhu0.sock,server=1,mac=$MAC0"
  --vdev "net_virtio_user1,path=$D/vhu1.sock,server=1,mac=$MAC1"
  -- -i --forward-mode=mac --eth-peer="0,$MAC1" --eth-peer="1,$MAC0" --nb-cores=1
  --total-num-mbufs=16384)
# virtio_user in server mode waits in its probe until the device under test has connected, so
# the commands wait for testpmd to have started its ports (stdout line-buffered to see that).
generator() {  # log
  local log=$1 i
  # shellcheck disable=SC2094  # the feeder reads the log testpmd writes: that is the point
  {
    for ((i = 0; i < 300; i++)); do
      grep -q "Checking link statuses" "$log" 2>/dev/null && break
      sleep 0.1
    done
    sleep 1
    echo "start tx_first 4"
    sleep 2
    echo "show port stats all"
    sleep "$DUR"
    echo "show port stats all"
    echo "stop"
    echo "quit"
  } | timeout -k 5 $((DUR + 45)) stdbuf -oL "${GEN[@]}" >"$log" 2>&1
}
gen_mpps() {  # the Rx-pps of both ports in the last "show port stats all"
  grep -o 'Rx-pps: *[0-9]*' "$1" | tail -2 | awk '{s += $2; n++} END {if (n == 2 && s > 0) printf "%.3f\n", s / 1e6}'
}

record() {  # system round log pids...: turns the generator's log into a sample or a failure
  local sys=$1 r=$2 log=$3 mpps
  mpps=$(gen_mpps "$log")
  if is_number "$mpps"; then
    sample_cpu proc "$CASE" "$sys" Mpps Mpps higher "$mpps" "$r"
  else
    failed "$CASE" "$sys" "the loop carried nothing (VM side: $(grep -i 'error\|fail' "$log" | tail -1))"
  fi
}

run_testpmd() {
  local r=$1 sys="testpmd io" dut
  rm -f "$D"/vhu*.sock
  generator "$D/gen-io-$r.log" 2>/dev/null &  # (no job-control chatter when it is stopped)
  local gen=$!
  sleep 1
  local -a cmd=(dpdk-testpmd --in-memory --file-prefix "lvsdut$$" --lcores "0@$CORE,1@$CORE" --no-pci
    --no-telemetry --vdev "net_vhost0,iface=$D/vhu0.sock,client=1" --vdev "net_vhost1,iface=$D/vhu1.sock,client=1"
    -- --forward-mode=io --nb-cores=1 --auto-start --stats-period 1 --total-num-mbufs=16384)
  command_of "$sys" "${cmd[*]}"
  timeout -k 5 -s INT $((DUR + 45)) "${cmd[@]}" >"$D/dut-io-$r.log" 2>&1 &
  dut=$!
  sleep 5
  cpu_begin "$(pgrep -P "$dut" | head -1)"
  wait "$gen"
  cpu_end
  kill -INT "$dut" 2>/dev/null
  wait "$dut" 2>/dev/null
  record "$sys" "$r" "$D/gen-io-$r.log"
}

run_lvs() {
  local r=$1 sys="Lite vSwitch" why
  rm -f "$D"/vhu*.sock
  generator "$D/gen-lvs-$r.log" 2>/dev/null &  # (no job-control chatter when it is stopped)
  local gen=$!
  sleep 1
  # In a namespace of its own: its first-start bridge br0 and NAT table must not reach the host.
  ip netns add lvb-pvp 2>/dev/null
  if ! lvs_up pvp lvb-pvp --pmd-cores "$CORE"; then failed "$CASE" "$sys" "$LVS_ERROR"; kill_tree "$gen"; return; fi
  # vsctl refusing the type, or accepting it with an Interface error, means "not available".
  why=$(lvsctl pvp add-br pvp -- add-port pvp vhu0 -- set Interface vhu0 type=dpdkvhostuserclient \
    "options:vhost-server-path=$D/vhu0.sock" -- add-port pvp vhu1 -- set Interface vhu1 \
    type=dpdkvhostuserclient "options:vhost-server-path=$D/vhu1.sock" 2>&1) || true
  sleep 1
  [ -n "$why" ] || why=$(lvsctl pvp get Interface vhu0 error 2>&1 | grep -v '^\[\]$')
  command_of "$sys" "$LVS_CMD; vsctl add-br pvp -- add-port pvp vhu0 -- set Interface vhu0 type=dpdkvhostuserclient options:vhost-server-path=$D/vhu0.sock -- (same for vhu1)"
  if [ -n "$why" ]; then
    kill_tree "$gen"
    { wait "$gen"; } 2>/dev/null  # (bash would report the killed job)
    lvs_down pvp
    not_available "$CASE" "$sys" "vswitchd: $why"
    return
  fi
  cpu_begin "${LVS_PID[pvp]}"
  wait "$gen"
  cpu_end
  lvs_down pvp
  record "$sys" "$r" "$D/gen-lvs-$r.log"
}

run_ovs() {
  local r=$1 sys="OVS-DPDK NORMAL" p err
  rm -f "$D"/vhu*.sock
  generator "$D/gen-ovs-$r.log" 2>/dev/null &  # (no job-control chatter when it is stopped)
  local gen=$!
  if ! ovs_up dpdk; then failed "$CASE" "$sys" "$OVS_ERROR"; kill_tree "$gen"; ovs_down; return; fi
  ovs-vsctl add-br br-pvp -- set bridge br-pvp datapath_type=netdev
  for p in 0 1; do
    ovs-vsctl add-port br-pvp "vhu$p" -- set Interface "vhu$p" type=dpdkvhostuserclient \
      "options:vhost-server-path=$D/vhu$p.sock"
  done
  command_of "$sys" "ovs-vswitchd-dpdk (OVS $(ovs_version)), PMD core $OVS_PMD_CORE; add-port br-pvp vhuN -- set Interface vhuN type=dpdkvhostuserclient options:vhost-server-path=$D/vhuN.sock"
  for p in vhu0 vhu1; do
    err=$(ovs_iface_ok "$p") || { failed "$CASE" "$sys" "$p: $err"; kill_tree "$gen"; ovs_down; return; }
  done
  cpu_begin "$(ovs_pid)"
  wait "$gen"
  cpu_end
  ovs_down
  record "$sys" "$r" "$D/gen-ovs-$r.log"
}

command -v dpdk-testpmd >/dev/null || { loud "missing dpdk-testpmd"; exit 1; }
# The VM side's memory must be shareable (hugepage files); the devices under test take theirs.
OVS_PMD_CORE=$CORE OVS_SOCKET_MEM=512
huge_up $((GEN_HUGE_MB + OVS_SOCKET_MEM)) || { failed "$CASE" "VM side (testpmd virtio_user)" "hugepages: $OVS_ERROR"; exit 0; }
note "VM side: dpdk-testpmd with two virtio_user ports, MAC forwarding, CPU $GEN_CORE." \
  "Device under test's PMD: CPU $CORE. CPU s = the device under test's process only."
for r in $(seq 1 "$REPS"); do
  log "round $r of $REPS"
  run_lvs "$r"
  run_testpmd "$r"
  run_ovs "$r"
done
command_of "VM side" "${GEN[*]}; then: start tx_first 4, show port stats all (twice, DUR s apart)"
exit 0
