#pragma once
// vswitchd keeps root's uid (DPDK, the database and the host's netfilter want it) but not root's
// power: once the socket, the database and DPDK are set up, every capability the daemon does not
// use is dropped from its effective, permitted, inheritable and bounding sets, and no_new_privs is
// set, so a bug in the control plane or a datapath cannot load modules, ptrace, change the clock,
// or gain anything back through exec.
#include <string>
#include <vector>

#include "ctl/error.hpp"

namespace lvs::ctl {

// What the running daemon still needs, and why:
//   NET_ADMIN  tap/veth/link changes, MTU, addresses, nftables, AF_XDP sockets
//   NET_RAW    AF_PACKET ports and the raw underlay sockets of tunnels
//   IPC_LOCK   locking packet memory (DPDK, hugepages)
//   SYS_NICE   PMD threads' priority and CPU affinity
//   SYS_ADMIN  entering container network namespaces, AF_XDP/BPF on older kernels, DPDK memory maps
//   BPF        AF_XDP's XDP program and maps
//   SYS_RESOURCE  raising RLIMIT_MEMLOCK for AF_XDP umem and vhost memory
const std::vector<int>& capabilities_kept();

// Drops everything else. Returns the names kept for the log, or an error naming the call that
// failed.
Result<std::string> drop_unneeded_capabilities();

// "cap_net_admin" etc., for logs and tests.
std::string capability_name(int cap);

}  // namespace lvs::ctl
