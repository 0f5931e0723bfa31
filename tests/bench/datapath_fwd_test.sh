#!/usr/bin/env bash
# bench/datapath_fwd as the suite runs it, in seconds (issue 16):
#  1. net_pcap ports replaying 10,000-frame files (infinite_rx) start and forward without a drop
#     (a fixed 8 K pool failed: "cannot start DPDK device");
#  2. a case that drops fails: the same file on both ports makes every frame a hairpin -> exit 3,
#     drop_hairpin counted;
#  3. the station source: VLAN push and pop at 1,000 stations, flood to 4 ports, no drop, nothing
#     unaccounted.
#   datapath_fwd_test.sh DATAPATH_FWD STATION_PCAP_PY
set -uo pipefail
FWD=$1 GEN=$2
T=$(mktemp -d /tmp/lvs-dpfwd.XXXXXX)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
run() {  # expected-status log args...
  local want=$1 log=$2 rc
  shift 2
  timeout 60 "$FWD" --pmd-core 0 --seconds 1 --huge off "$@" >"$log" 2>&1
  rc=$?
  [ "$rc" = "$want" ] || { tail -5 "$log" >&2; fail "datapath_fwd $* exited $rc, want $want"; }
  grep -q '^mpps=' "$log" || fail "no summary line: $*"
}
python3 "$GEN" --port 0 --stations 10000 "$T/p0.pcap" || fail "station_pcap.py"
python3 "$GEN" --port 1 --stations 10000 "$T/p1.pcap" || fail "station_pcap.py"

run 0 "$T/pcap.log" --stations 10000 "net_pcap0,rx_pcap=$T/p0.pcap,infinite_rx=1" \
  "net_pcap1,rx_pcap=$T/p1.pcap,infinite_rx=1"
grep -q ' drops=0 .*unaccounted=0 ' "$T/pcap.log" || fail "pcap case dropped: $(tail -1 "$T/pcap.log")"
grep -q ' fdb_entries=20000' "$T/pcap.log" || fail "table not 20000: $(tail -1 "$T/pcap.log")"

run 3 "$T/hairpin.log" --stations 10000 "net_pcap0,rx_pcap=$T/p0.pcap,infinite_rx=1" \
  "net_pcap1,rx_pcap=$T/p0.pcap,infinite_rx=1"
grep -q ' drop_hairpin=[1-9]' "$T/hairpin.log" || fail "hairpins not counted: $(tail -1 "$T/hairpin.log")"
grep -q 'FAILED: case unicast must not drop' "$T/hairpin.log" || fail "no FAILED line"

for c in push pop; do
  run 0 "$T/$c.log" --stations 1000 --case "$c" net_null0 net_null1
  grep -q " drops=0 .*unaccounted=0 .*case=$c stations=1000" "$T/$c.log" || fail "$c: $(tail -1 "$T/$c.log")"
done
run 0 "$T/flood.log" --stations 1000 --case flood --frame-size 1518 net_null0 net_null1 net_null2 net_null3
grep -q ' drops=0 .*unaccounted=0 .*case=flood .*frame=1518' "$T/flood.log" || fail "flood: $(tail -1 "$T/flood.log")"
echo "ok"
