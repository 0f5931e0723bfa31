#!/usr/bin/env bash
# vhost-user one-way rate, side by side in one run, same topology and cores:
#   testpmd (virtio_user, txonly, 64 B) -> DUT vhost port A -> DUT -> vhost port B -> testpmd
#   (virtio_user, rxonly), the rate measured at the receiver.
# DUT = this switch (vswitchd in a namespace of its own, two dpdkvhostuser ports on one bridge, a
# static MAC entry for the receiver, one PMD thread on DUT_CORE, pmd-sleep=off) vs dpdk-testpmd io
# forwarding between two net_vhost ports on the same core. Prints medians (min-max) and the ratio
# (target >= 0.9x testpmd io) and writes them with the machine and exact commands to bench/results/.
#
#   bench/vhost_compare.sh [--quick] [--reps N] [--seconds S] [--build DIR] [--no-record]
#
# Environment: DUT_CORE=1, TX_CORE=0, RX_CORE=0 (the virtio_user peers' forwarding cores),
# MAIN_CORE=0 (every process's idle main lcore). On a 2-core machine the peers share a core and
# the numbers show the machine, not the switch: give each its own core where there are enough.
set -euo pipefail
cd "$(dirname "$0")/.."
REPS=3 SECONDS_EACH=8 BUILD=build RECORD=1
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) REPS=1 SECONDS_EACH=5 ;;
    --reps) REPS=$2; shift ;;
    --seconds) SECONDS_EACH=$2; shift ;;
    --build) BUILD=$2; shift ;;
    --no-record) RECORD=0 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
DUT_CORE=${DUT_CORE:-1} TX_CORE=${TX_CORE:-0} RX_CORE=${RX_CORE:-0} MAIN_CORE=${MAIN_CORE:-0}
VSWITCHD=$BUILD/ctl/vswitchd VSCTL=$BUILD/ctl/vsctl
[ -x "$VSWITCHD" ] && [ -x "$VSCTL" ] || { echo "missing $VSWITCHD or $VSCTL: build the project first" >&2; exit 1; }
command -v dpdk-testpmd >/dev/null || { echo "missing dpdk-testpmd (apt-get install dpdk-dev)" >&2; exit 1; }
[ "$(id -u)" = 0 ] || { echo "needs root (network namespace for the daemon)" >&2; exit 1; }

TAG=lvsvh$$
DIR=$(mktemp -d /tmp/$TAG.XXXXXX)
NS=$TAG
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill -INT "$p" 2>/dev/null || true; done
  sleep 1
  for p in "${PIDS[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
  ip netns del "$NS" 2>/dev/null || true
  rm -rf "$DIR"
}
trap cleanup EXIT
ip netns add "$NS"

MAC_TX=02:00:00:00:00:0a MAC_RX=02:00:00:00:00:0b
# The virtio side's memory must be shareable (a memfd): --no-huge with --single-file-segments.
PEER_MEM="--no-huge --no-shconf -m 512 --single-file-segments"
peer() {  # peer NAME SOCKET MODE CORE [extra testpmd args]: a DPDK container on a virtio_user port
  local name=$1 sock=$2 mode=$3 core=$4; shift 4
  local cmd="dpdk-testpmd $PEER_MEM --file-prefix ${TAG}$name --lcores 0@$MAIN_CORE,1@$core --no-pci --no-telemetry --vdev net_virtio_user0,path=$sock,mac=$([ "$name" = rx ] && echo $MAC_RX || echo $MAC_TX) -- --no-mlockall --forward-mode=$mode --nb-cores=1 --auto-start --stats-period 1 --total-num-mbufs=16384 $*"
  echo "$cmd" >> "$DIR/cmds"
  $cmd < /dev/null > "$DIR/$name.log" 2>&1 &
  PIDS+=($!)
}
wait_socket() { for _ in $(seq 100); do [ -S "$1" ] && return 0; sleep 0.1; done; echo "no socket $1" >&2; return 1; }
stop_all() {
  for p in "${PIDS[@]}"; do kill -INT "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  PIDS=()
}
# The receiver prints "Rx-pps: N" every second: median of the seconds after the first two.
rx_mpps() {
  grep -o 'Rx-pps: *[0-9]*' "$DIR/rx.log" | awk '{print $2/1e6}' | tail -n +3 | sort -g |
    awk '{v[NR]=$1} END{ if (NR==0) {print "FAIL"; exit} print v[int((NR+1)/2)] }'
}
# Both peers attached to the DUT's sockets A and B, then S seconds of traffic.
run_peers() {
  peer rx "$2" rxonly "$RX_CORE"
  sleep 1
  peer tx "$1" txonly "$TX_CORE" --eth-peer=0,$MAC_RX --txpkts=64
  sleep "$SECONDS_EACH"
}

testpmd_round() {
  rm -f "$DIR"/ta "$DIR"/tb
  local cmd="dpdk-testpmd --no-huge --no-shconf -m 1024 --file-prefix ${TAG}dut --lcores 0@$MAIN_CORE,1@$DUT_CORE --no-pci --no-telemetry --vdev net_vhost0,iface=$DIR/ta --vdev net_vhost1,iface=$DIR/tb -- --no-mlockall --forward-mode=io --nb-cores=1 --auto-start --stats-period 1 --total-num-mbufs=16384"
  echo "$cmd" >> "$DIR/cmds"
  $cmd < /dev/null > "$DIR/dut-testpmd.log" 2>&1 &
  PIDS+=($!)
  wait_socket "$DIR/ta" && wait_socket "$DIR/tb"
  run_peers "$DIR/ta" "$DIR/tb"
  stop_all
  rx_mpps
}

switch_round() {
  rm -rf "$DIR/sw" && mkdir -p "$DIR/sw"
  local cmd="$VSWITCHD --db $DIR/sw/conf.json --socket $DIR/sw/vs.sock --pmd-cores $DUT_CORE --log-file $DIR/sw/vswitchd.log"
  echo "ip netns exec $NS $cmd" >> "$DIR/cmds"
  ip netns exec "$NS" $cmd > "$DIR/sw/stdout.log" 2>&1 &
  PIDS+=($!)
  wait_socket "$DIR/sw/vs.sock"
  local vsctl="$VSCTL --socket $DIR/sw/vs.sock"
  {
    $vsctl set Open_vSwitch . other_config:pmd-sleep=off
    $vsctl add-br bv -- add-port bv va -- set interface va type=dpdkvhostuser \
      -- add-port bv vb -- set interface vb type=dpdkvhostuser
    $vsctl fdb/add bv vb 0 $MAC_RX
  } >&2
  echo "$vsctl set Open_vSwitch . other_config:pmd-sleep=off; $vsctl add-br bv -- add-port bv va -- set interface va type=dpdkvhostuser -- add-port bv vb -- set interface vb type=dpdkvhostuser; $vsctl fdb/add bv vb 0 $MAC_RX" >> "$DIR/cmds"
  run_peers "$DIR/sw/va" "$DIR/sw/vb"
  $vsctl get interface va statistics:rx_packets > "$DIR/sw/va.rx" 2>&1 || true
  $vsctl get interface vb statistics:tx_packets statistics:drops > "$DIR/sw/vb.tx" 2>&1 || true
  stop_all
  rx_mpps
}

declare -A R
for r in $(seq 1 "$REPS"); do
  R[testpmd]+="$(testpmd_round) "
  R[switch]+="$(switch_round) "
  echo "after round $r: testpmd io: ${R[testpmd]}; switch: ${R[switch]}" \
       "(switch va rx $(cat "$DIR/sw/va.rx" | tr '\n' ' '), vb tx/drops $(cat "$DIR/sw/vb.tx" | tr '\n' ' '))" >&2
done

stats() {
  tr ' ' '\n' | grep -v '^$' | sort -g | awk '{v[NR]=$1} END{
    if (NR==0) {print "FAIL FAIL FAIL"; exit}
    print v[int((NR+1)/2)], v[1], v[NR] }'
}
for k in testpmd switch; do
  if echo "${R[$k]}" | grep -q FAIL; then
    echo "ERROR: $k did not run; logs:" >&2
    tail -n 15 "$DIR"/*.log "$DIR"/sw/*.log >&2 || true
    exit 1
  fi
done
read -r TP_MED TP_MIN TP_MAX <<<"$(echo "${R[testpmd]}" | stats)"
read -r SW_MED SW_MIN SW_MAX <<<"$(echo "${R[switch]}" | stats)"
RATIO=$(awk -v a="$SW_MED" -v b="$TP_MED" 'BEGIN{ if (b>0) printf "%.2f", a/b; else print "n/a" }')
TABLE=$(cat <<EOT
| DUT (vhost-user A -> B, 64 B, 1 core) | Mpps at the receiver, median (min-max) | ratio |
|---|---|---|
| dpdk-testpmd io, 2 x net_vhost | $TP_MED ($TP_MIN-$TP_MAX) | 1.00 |
| Lite vSwitch, 2 x dpdkvhostuser, learned unicast | $SW_MED ($SW_MIN-$SW_MAX) | $RATIO |
EOT
)
echo "$TABLE"
if [ "$RECORD" = 1 ]; then
  mkdir -p bench/results
  OUT=bench/results/vhost-$(date +%Y-%m-%d)-$(hostname -s).md
  {
    echo "# vhost-user one-way rate: Lite vSwitch vs dpdk-testpmd io ($(date -u +%FT%TZ))"
    echo
    echo "Command: \`bench/vhost_compare.sh --reps $REPS --seconds $SECONDS_EACH\`" \
         "(DUT_CORE=$DUT_CORE TX_CORE=$TX_CORE RX_CORE=$RX_CORE MAIN_CORE=$MAIN_CORE)"
    echo
    echo "Machine: $(lscpu | sed -n 's/Model name: *//p' | head -1), $(nproc) cores, kernel $(uname -r);" \
         "DPDK $(dpkg-query -W -f='${Version}' libdpdk-dev 2>/dev/null)"
    echo
    echo "$TABLE"
    echo
    echo "Raw Mpps per round: testpmd io: ${R[testpmd]}; switch: ${R[switch]}"
    echo
    echo "Exact commands (last round):"
    echo '```'
    tail -n 6 "$DIR/cmds"
    echo '```'
  } > "$OUT"
  echo "recorded in $OUT" >&2
fi
