#!/usr/bin/env bash
# big_tcp6_compare.sh - IPv6 TCP, one stream (iperf3 -6), container c1 -> c2 through vswitchd,
# with BIG TCP (the daemon's gso_max_size 196608 on both ends of each veth, ctl/big_tcp_sync.hpp)
# and without (other_config:big-tcp=false: 65536), alternating on and off RUNS times, over the
# switch's own path (other_config:kernel-offload=false: the system ports cut 192 KiB frames into
# 64 KiB pieces, ports/gso_split.hpp) and then over the kernel offload. Prints each run
# (Gbit/s received, retransmits) and the medians. Root; reuses the integration tests' preamble.
#
#   sudo bench/big_tcp6_compare.sh [BUILD_DIR]     RUNS=3 DUR=5 (seconds per run)
set -u
export PATH=/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C
BUILD=$(realpath "${1:-build}")
RUNS=${RUNS:-3} DUR=${DUR:-5}
P=lb6$(($$ % 100000))
W=$(mktemp -d /tmp/lvs-bigtcp6.XXXXXX)
# shellcheck disable=SC2034 # cleanup (vswitchd_env.sh) reads it
NETNS="c1 c2 h"
# shellcheck source=../tests/support/vswitchd_env.sh
. "$(dirname "$0")/../tests/support/vswitchd_env.sh" || exit 1
gso6() {  # IFLA_GSO_MAX_SIZE (41) of eth0 in namespace $1
  ip netns exec "$1" python3 -c '
import socket, struct
s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 0)
s.send(struct.pack("=IHHII", 32, 18, 1, 1, 0) + struct.pack("=BxHiII", 0, 0, socket.if_nametoindex("eth0"), 0, 0))
r = s.recv(65536); off, end = 32, struct.unpack("=I", r[:4])[0]
while off + 4 <= end:
    ln, ty = struct.unpack("=HH", r[off:off + 4])
    if ty == 41: print(struct.unpack("=I", r[off + 4:off + 8])[0]); break
    off += (ln + 3) & ~3'
}
both_at() { [ "$(gso6 ${P}c1)" = "$1" ] && [ "$(gso6 ${P}c2)" = "$1" ]; }

ip netns add ${P}h && H ip link set lo up || fail "host namespace"
start_daemon
for n in 1 2; do
  ip netns add ${P}c$n && ip -n ${P}c$n link set lo up || fail "container $n"
  H "$BUILD/ctl/vsattach" --socket "$W/sock" brt ${P}c$n 10.95.0.$n/24 >/dev/null || fail "vsattach $n"
  ip -n ${P}c$n addr add fd00:95::$n/64 dev eth0 nodad || fail "IPv6 address $n"
done
ip netns exec ${P}c2 iperf3 -s -D --pidfile "$W/iperf.pid" || fail "iperf3 -s"
until_ok 5 ip netns exec ${P}c1 ping -6 -q -c 1 -W 1 fd00:95::2 || fail "ping -6"
for path in userspace offload; do
  offload=false
  [ $path = offload ] && offload=true
  vsctl set Open_vSwitch . other_config:kernel-offload=$offload || fail "kernel-offload"
  sleep 1
  for run in $(seq "$RUNS"); do
    for big in on off; do
      if [ $big = on ]; then vsctl remove Open_vSwitch . other_config big-tcp; size=196608
      else vsctl set Open_vSwitch . other_config:big-tcp=false; size=65536; fi
      until_ok 3 both_at $size || fail "gso_max_size not $size"
      ip netns exec ${P}c1 iperf3 -6 -c fd00:95::2 -t "$DUR" -J >"$W/r.json" || fail "iperf3"
      python3 -c 'import json,sys; e=json.load(open(sys.argv[1]))["end"]
print("%s %s %d %.2f %d" % (sys.argv[2], sys.argv[3], int(sys.argv[4]), e["sum_received"]["bits_per_second"]/1e9, e["sum_sent"]["retransmits"]))' \
        "$W/r.json" $path $big "$run" | tee -a "$W/all"
    done
  done
done
echo "path big-tcp median-Gbit/s (runs: path big-tcp run Gbit/s retransmits above)"
for path in userspace offload; do
  for big in on off; do
    printf '%s %s %s\n' $path $big "$(awk -v p=$path -v b=$big '$1 == p && $2 == b {print $4}' "$W/all" | sort -n |
      awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}')"
  done
done
