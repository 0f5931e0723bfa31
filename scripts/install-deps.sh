#!/usr/bin/env bash
# Installs everything Lite vSwitch builds, runs and is tested with, from Debian's packages only.
# Idempotent: skips apt when every package is already there.
set -euo pipefail
PACKAGES=(
  # build
  build-essential cmake pkg-config g++
  libdpdk-dev libnl-3-dev libnl-route-3-dev libnftables-dev libboost-program-options-dev nlohmann-json3-dev
  libcpp-httplib-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  # fuzzing: clang's libFuzzer (scripts/fuzz.sh)
  clang libclang-rt-dev
  # kernel offload (ports/offload/): clang -target bpf builds the program, libbpf loads it;
  # bpftool for the offload test's checks
  libbpf-dev bpftool
  # run: DPDK runtime; dpdk-dev carries dpdk-testpmd (the benchmarks' reference)
  dpdk dpdk-dev iproute2 nftables
  # tests and benchmarks: real peers in network namespaces
  iputils-ping iperf3 tcpdump tshark ethtool procps python3 kmod
  # the Docker plugin test: a real dockerd (Debian's docker.io); the CNI plugin tests: the reference
  # plugins (host-local, portmap, bandwidth, tuning) and Podman (CNI backend); a busybox image made
  # locally for both; iptables for portmap and the FORWARD rules
  docker.io containernetworking-plugins podman busybox-static iptables
  # packaging (ctl/packaging/): sd_notify, man pages from --help, cpack's dpkg-shlibdeps, the
  # package test's man -l and systemd-analyze verify
  libsystemd-dev help2man dpkg-dev man-db systemd
  # the metrics test and bench: a real Prometheus and promtool; curl
  prometheus curl
  # the cluster store's tests and bench (ctl/cluster): a real etcd-server, and etcdctl (the
  # cluster test's health check)
  etcd-server etcd-client
)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
