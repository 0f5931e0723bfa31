# shellcheck shell=bash disable=SC2034  # sourced: its variables are the callers'
# The two topologies the vswitchd-vs-Linux-bridge comparisons (containers_compare.sh,
# offload_compare.sh) keep up side by side, each with its own namespace playing the host (so
# that nothing appears on the real host). Containers keep the kernel's default offloads, as
# docker's do. Needs lib/common.sh and peers/lvs.sh (BUILD, WORK).
#   bridge_up PREFIX NET       namespace PREFIX-l with a Linux bridge br0 joining containers
#                              PREFIX-l1, PREFIX-l2 (eth0 = NET.1/24, NET.2/24; host ends v1, v2)
#   vswitchd_up NAME PREFIX NET N [vsattach options...]
#                              vswitchd NAME (peers/lvs.sh, as shipped) in namespace PREFIX-h and
#                              N containers PREFIX-c1..cN attached by vsattach to bridge brb
#                              (eth0 = NET.i/24); returns 1 with TOPOLOGY_ERROR set on failure
#   topology_down NAME PREFIX  stops vswitchd NAME, ends the processes left in the PREFIX-*
#                              namespaces (by pid) and removes those namespaces
ns_add() { ip netns add "$1" && ip -n "$1" link set lo up; }

bridge_up() {
  local p=$1 net=$2 i
  ns_add "$p-l" || return 1
  ip -n "$p-l" link add br0 type bridge && ip -n "$p-l" link set br0 up || return 1
  for i in 1 2; do
    ns_add "$p-l$i" || return 1
    ip -n "$p-l" link add "v$i" type veth peer name eth0 netns "$p-l$i" || return 1
    # The host ends only carry the containers' frames: no IPv6 autoconfiguration on them.
    ip netns exec "$p-l" sysctl -qw "net.ipv6.conf.v$i.disable_ipv6=1"
    ip -n "$p-l" link set "v$i" master br0 up || return 1
    ip -n "$p-l$i" addr add "$net.$i/24" dev eth0 && ip -n "$p-l$i" link set eth0 up || return 1
  done
}

vswitchd_up() {
  local name=$1 p=$2 net=$3 n=$4 i
  shift 4
  TOPOLOGY_ERROR=""
  ns_add "$p-h" || { TOPOLOGY_ERROR="ip netns add $p-h failed"; return 1; }
  lvs_up "$name" "$p-h" || { TOPOLOGY_ERROR=$LVS_ERROR; return 1; }
  for i in $(seq 1 "$n"); do
    ns_add "$p-c$i" || { TOPOLOGY_ERROR="ip netns add $p-c$i failed"; return 1; }
    lvs_attach "$name" brb "$p-c$i" "$net.$i/24" "$@" >/dev/null 2>"$WORK/vsattach.err" ||
      { TOPOLOGY_ERROR="vsattach $p-c$i: $(cat "$WORK/vsattach.err")"; return 1; }
  done
}

topology_down() {
  local name=$1 p=$2 ns
  [ -n "${LVS_PID[$name]:-}" ] && lvs_down "$name"
  for ns in $(ip netns list | awk '{print $1}' | grep -E "^$p-(h|l|l[0-9]+|c[0-9]+)$"); do
    ip netns pids "$ns" 2>/dev/null | xargs -r kill 2>/dev/null
  done
  for ns in $(ip netns list | awk '{print $1}' | grep -E "^$p-(h|l|l[0-9]+|c[0-9]+)$"); do
    ip netns del "$ns" 2>/dev/null
  done
  return 0
}
