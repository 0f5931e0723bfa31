# shellcheck shell=bash disable=SC2034  # sourced: its variables are the callers'
# Two "containers" (network namespaces lvb-c1, lvb-c2: eth0 = 10.99.1.1/24 and 10.99.1.2/24,
# the kernel's default offloads, as docker gives them) whose veths' host ends lvb1h and lvb2h
# live in a "host" namespace lvb-host, where every switch under test runs. Names are this
# suite's own; containers_down removes them all, whatever state they are in.
#   containers_up [txoff]   txoff: "ethtool -K eth0 tx off" in the containers (for the peers
#                           that cannot take TSO super-frames or partial checksums)
C1=lvb-c1 C2=lvb-c2 HOSTNS=lvb-host IP1=10.99.1.1 IP2=10.99.1.2
containers_up() {
  local i
  containers_down
  ip netns add "$HOSTNS" && ip -n "$HOSTNS" link set lo up || return 1
  for i in 1 2; do
    ip netns add "lvb-c$i" || return 1
    ip -n "$HOSTNS" link add "lvb${i}h" type veth peer name eth0 netns "lvb-c$i" || return 1
    ip -n "lvb-c$i" addr add "10.99.1.$i/24" dev eth0
    ip -n "lvb-c$i" link set lo up
    ip -n "lvb-c$i" link set eth0 up
    ip netns exec "$HOSTNS" sysctl -qw "net.ipv6.conf.lvb${i}h.disable_ipv6=1"
    ip -n "$HOSTNS" link set "lvb${i}h" up
    if [ "${1:-}" = txoff ]; then
      ip netns exec "lvb-c$i" ethtool -K eth0 tx off >/dev/null 2>&1
    fi
  done
}
containers_down() {
  local n
  for n in lvb-c1 lvb-c2 "$HOSTNS"; do
    ip netns pids "$n" 2>/dev/null | xargs -r kill 2>/dev/null
    ip netns del "$n" 2>/dev/null
  done
  return 0
}
