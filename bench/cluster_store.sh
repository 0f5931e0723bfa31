#!/bin/sh
# The cluster store at scale (issue 17): a private etcd-server on free loopback ports, then
# cluster_store_bench (HOSTS fake hosts, ENDPOINTS endpoints, ROUNDS fresh stores converging).
# Usage: bench/cluster_store.sh [BUILD] [HOSTS] [ENDPOINTS] [ROUNDS]; results: stdout.
set -eu
BUILD=${1:-build}
HOSTS=${2:-100}
ENDPOINTS=${3:-10000}
ROUNDS=${4:-5}
DIR=$(mktemp -d /tmp/lvs-etcd-bench-XXXXXX)
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
PORT=$(free_port)
PEER=$(free_port)
etcd --name bench --data-dir "$DIR/data" \
  --listen-client-urls "http://127.0.0.1:$PORT" --advertise-client-urls "http://127.0.0.1:$PORT" \
  --listen-peer-urls "http://127.0.0.1:$PEER" --initial-advertise-peer-urls "http://127.0.0.1:$PEER" \
  --initial-cluster "bench=http://127.0.0.1:$PEER" >"$DIR/etcd.log" 2>&1 &
ETCD=$!
trap 'kill $ETCD 2>/dev/null; wait $ETCD 2>/dev/null; rm -rf "$DIR"' EXIT
i=0
until curl -sf -m 1 -X POST "http://127.0.0.1:$PORT/v3/kv/range" -d '{"key":"AA=="}' >/dev/null; do
  i=$((i + 1)); [ $i -lt 200 ] || { cat "$DIR/etcd.log" >&2; exit 1; }; sleep 0.05
done
echo "etcd $(etcd --version | head -1 | cut -d' ' -f3) on 127.0.0.1:$PORT, data in $DIR"
"$BUILD/bench/cluster_store_bench" "127.0.0.1:$PORT" "$HOSTS" "$ENDPOINTS" "$ROUNDS" "$ETCD"
