#!/usr/bin/env bash
# offload_prog_cost.sh - ns per run of the offload tc program (ports/offload/offload.bpf.c,
# BPF_PROG_TEST_RUN via bpftool, 64 B frame whose entry and stations are present), the object of
# git revision OLD (default main) against this tree's, alternating. Root; bpffs is mounted in a
# private mount namespace:   sudo unshare -m bench/offload_prog_cost.sh [OLD]   knobs: ROUNDS=5
set -eu
HERE=$(cd "$(dirname "$0")/.." && pwd)
OLD=${1:-main} ROUNDS=${ROUNDS:-5}
D=$(mktemp -d /tmp/lvs-progcost-XXXXXX) F=$D/fs
trap 'umount $F 2>/dev/null; rm -rf $D' EXIT  # no "." in the path: libbpf pins it as "_"
M=$(gcc -print-multiarch)
mkdir -p $D/old $F && mount -t bpf bpf $F
git -C "$HERE" show $OLD:ports/offload/offload.bpf.c >$D/old/offload.bpf.c
git -C "$HERE" show $OLD:ports/offload/offload_maps.h >$D/old/offload_maps.h
clang -O2 -g -target bpf -I/usr/include/$M -I$D/old -c $D/old/offload.bpf.c -o $D/old.o
clang -O2 -g -target bpf -I/usr/include/$M -I$HERE/ports/offload -c $HERE/ports/offload/offload.bpf.c -o $D/new.o
python3 -c 'import sys; sys.stdout.buffer.write(bytes.fromhex("020000000002020000000001") + b"\x88\xb5" + b"." * 50)' >$D/pkt
for v in old new; do bpftool prog loadall $D/$v.o $F/$v pinmaps $F/${v}m; done
h() { python3 -c 'import sys; print(" ".join("%02x" % b for b in bytes.fromhex(sys.argv[1])))' "$1"; }
z() { printf '%0*d' $(($1 * 2)) 0; }
DST=020000000002 SRC=020000000001  # test_run's skb is on lo: ifindex 1
# fill OBJ: the flow (1, DST, untagged) -> out 1 and its stations, in the layout OBJ has
# shellcheck disable=SC2046 # h prints one word per byte
fill() {
  local m=$F/${1}m key
  key=$(bpftool map show pinned $m/lvs_stations | grep -o 'key [0-9]*B')
  if ! bpftool map show pinned $m/lvs_port_vlans >/dev/null 2>&1; then
    # stations (ifindex, MAC, tag): (1, src, untagged)
    bpftool map update pinned $m/lvs_flows key hex $(h 01000000${DST}0000) value hex $(h 01000000$(z 28))
    bpftool map update pinned $m/lvs_stations key hex $(h 01000000${SRC}0000) value hex $(h $(z 8))
  elif [ "$key" = "key 8B" ]; then  # stations (MAC, VLAN): the flow's VLAN 10; src and dst on 1
    bpftool map update pinned $m/lvs_flows key hex $(h 01000000${DST}0000) value hex $(h 01000000000000000a00$(z 30))
    for s in $SRC $DST; do
      bpftool map update pinned $m/lvs_stations key hex $(h ${s}0a00) value hex $(h 01000000$(z 12))
    done
  else  # stations (MAC, VLAN, bridge): the flow's VLAN 10 and bridge 1; src and dst on 1
    bpftool map update pinned $m/lvs_flows key hex $(h 01000000${DST}0000) value hex $(h 01000000000000000a0000000100$(z 26))
    for s in $SRC $DST; do
      bpftool map update pinned $m/lvs_stations key hex $(h ${s}0a0001000000) value hex $(h 01000000$(z 12))
    done
  fi
}
fill old
fill new
for r in $(seq $ROUNDS); do
  for v in old new; do
    out=$(bpftool prog run pinned $F/$v/lvs_tc_ingress data_in $D/pkt repeat 2000000 2>&1 | tr '\n' ' ')
    echo "round $r $v: $out"
  done
done
