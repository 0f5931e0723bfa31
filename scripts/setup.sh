#!/usr/bin/env bash
# One command on a fresh Debian 12 host: install the packages, build, put vswitchd / vsctl on the
# PATH, install the lite-vswitch CNI plugin into /opt/cni/bin and start vswitchd with its default
# bridge br0 (docker0's role). Run as root.
#   scripts/setup.sh [--hugepages N]   (N 2 MB pages to reserve; default: none, DPDK runs --no-huge)
set -euo pipefail
cd "$(dirname "$0")/.."
HUGEPAGES=0
while [ $# -gt 0 ]; do
  case "$1" in
    --hugepages) HUGEPAGES=$2; shift ;;
    *) echo "usage: scripts/setup.sh [--hugepages N]" >&2; exit 2 ;;
  esac
  shift
done
[ "$(id -u)" = 0 ] || { echo "setup.sh must run as root (it installs packages and starts a daemon)" >&2; exit 1; }

scripts/install-deps.sh
scripts/build.sh build
for tool in vswitchd vsctl vsattach; do
  for f in build/ctl/$tool build/switch/$tool; do
    [ -x "$f" ] && ln -sf "$PWD/$f" /usr/local/bin/$tool
  done
done
# The CNI plugin where runtimes look for plugins (Podman, containerd, Kubernetes: /opt/cni/bin).
install -D -m 0755 build/ctl/lite-vswitch /opt/cni/bin/lite-vswitch
if [ "$HUGEPAGES" -gt 0 ]; then
  echo "$HUGEPAGES" > /sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages
  mountpoint -q /dev/hugepages || { mkdir -p /dev/hugepages; mount -t hugetlbfs nodev /dev/hugepages; }
fi

mkdir -p /run/lite-vswitch /var/lib/lite-vswitch /var/log
if [ -f /run/lite-vswitch/vswitchd.pid ] && kill -0 "$(cat /run/lite-vswitch/vswitchd.pid)" 2>/dev/null; then
  echo "vswitchd already running (pid $(cat /run/lite-vswitch/vswitchd.pid)); restarting it" >&2
  kill "$(cat /run/lite-vswitch/vswitchd.pid)"
  for _ in $(seq 50); do kill -0 "$(cat /run/lite-vswitch/vswitchd.pid 2>/dev/null)" 2>/dev/null || break; sleep 0.1; done
fi
vswitchd --detach --pidfile /run/lite-vswitch/vswitchd.pid --log-file /var/log/lite-vswitch.log
for _ in $(seq 100); do vsctl list-br >/dev/null 2>&1 && break; sleep 0.1; done
vsctl show
echo "vswitchd is running; log: /var/log/lite-vswitch.log; try: vsctl show" >&2
