#!/usr/bin/env bash
# `docker run` to first ping, lite-vswitch vs Docker's own bridge driver, in the same dockerd:
# N containers (default 100) per network, each `docker run --rm` that pings its gateway once and
# exits (start, veth, address, first ping, stop, removal), one after the other. Prints the time
# per container (mean, median, p90) for both, and checks that the switch's IPAM got every lease
# back. Root; everything lives in a namespace and a directory of its own and is removed at exit.
#   bench/docker_first_ping.sh [BUILD_DIR] [N]
set -euo pipefail
BUILD=${1:-build}
N=${2:-100}
VSWITCHD=$(realpath "$BUILD/ctl/vswitchd")
VSCTL=$(realpath "$BUILD/ctl/vsctl")
TAG=lvbench$$
NS=${TAG}h
DIR=/tmp/$TAG
DOCKER="/usr/bin/docker -H unix://$DIR/docker.sock"
mkdir -p "$DIR/rootfs/bin"

cleanup() {
  set +e
  $DOCKER rm -f $($DOCKER ps -aq) >/dev/null 2>&1
  [ -f "$DIR/docker.pid" ] && kill "$(cat "$DIR/docker.pid")" 2>/dev/null
  for _ in $(seq 50); do [ -f "$DIR/docker.pid" ] || break; sleep 0.1; done
  [ -n "${VPID:-}" ] && kill "$VPID" 2>/dev/null && wait "$VPID" 2>/dev/null
  umount -R "$DIR/exec" "$DIR/data" 2>/dev/null
  rm -f "/etc/docker/plugins/$TAG.spec"
  ip netns del "$NS" 2>/dev/null
  rm -rf "$DIR"
}
trap cleanup EXIT

ip netns add "$NS"
ip -n "$NS" link set lo up
echo '{"schema_version": 1, "bridges": []}' > "$DIR/conf.json"
nsenter --net=/run/netns/$NS "$VSWITCHD" --db "$DIR/conf.json" --socket "$DIR/vswitchd.sock" \
  --docker-plugin --docker-plugin-socket "$DIR/$TAG.sock" > "$DIR/vswitchd.log" 2>&1 &
VPID=$!
for _ in $(seq 200); do [ -S "$DIR/$TAG.sock" ] && break; sleep 0.1; done
# dockerd shares the namespace but keeps the machine's mount namespace (its cgroups).
nsenter --net=/run/netns/$NS /usr/sbin/dockerd --data-root="$DIR/data" --exec-root="$DIR/exec" \
  --pidfile="$DIR/docker.pid" -H "unix://$DIR/docker.sock" --bridge=none > "$DIR/dockerd.log" 2>&1 &
for _ in $(seq 300); do $DOCKER version >/dev/null 2>&1 && break; sleep 0.1; done
cp /bin/busybox "$DIR/rootfs/bin/"
for a in sh ping sleep; do ln -s busybox "$DIR/rootfs/bin/$a"; done
tar -C "$DIR/rootfs" -c . | $DOCKER import - lvsbb:1 >/dev/null

$DOCKER network create -d "$TAG" --ipam-driver "$TAG" --subnet 10.98.0.0/24 --gateway 10.98.0.1 lvs >/dev/null
$DOCKER network create -d bridge --subnet 10.99.0.0/24 --gateway 10.99.0.1 dbr >/dev/null

# One container: run, first ping of the gateway, exit, removal. Prints seconds.
one() {
  local net=$1 gw=$2 t0 t1
  t0=$(date +%s.%N)
  $DOCKER run --rm --network "$net" lvsbb:1 sh -c "for i in 1 2 3 4 5 6 7 8 9 10; do ping -c 1 -W 1 $gw >/dev/null && exit 0; done; exit 1" \
    || { echo "ping failed on $net" >&2; exit 1; }
  t1=$(date +%s.%N)
  echo "$t1 - $t0" | bc
}
stats() {
  sort -n | awk '{a[NR]=$1; s+=$1} END {printf "mean %.3f s, median %.3f s, p90 %.3f s (n=%d)\n", s/NR, a[int((NR+1)/2)], a[int(NR*0.9)], NR}'
}

one lvs 10.98.0.1 >/dev/null; one dbr 10.99.0.1 >/dev/null   # warm-up (image layers, caches)
: > "$DIR/lvs.txt"; : > "$DIR/dbr.txt"
# Interleaved, so that both see the same machine load.
for i in $(seq "$N"); do
  one lvs 10.98.0.1 >> "$DIR/lvs.txt"
  one dbr 10.99.0.1 >> "$DIR/dbr.txt"
done
LVS=$(stats < "$DIR/lvs.txt")
DBR=$(stats < "$DIR/dbr.txt")
LEASES=$("$VSCTL" --socket "$DIR/vswitchd.sock" ipam/show docker-10.98.0.0-24 | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["leases"]))')
PORTS=$("$VSCTL" --socket "$DIR/vswitchd.sock" --format json show | python3 -c 'import json,sys; print(sum(len(b["ports"]) for b in json.load(sys.stdin)["bridges"]))')
echo "docker run to first ping, $N containers each, interleaved, started and removed one by one"
echo "  lite-vswitch network : $LVS"
echo "  docker bridge driver : $DBR"
echo "  leases held afterwards: $LEASES (the gateway's only: 1 expected); switch ports left: $PORTS (bridge + gateway: 2 expected)"
[ "$LEASES" = 1 ] && [ "$PORTS" = 2 ]
