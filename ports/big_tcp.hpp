#pragma once
// BIG TCP (IPv4: Linux 6.3+, IPv6: 5.19+): the GSO size of each family the daemon gives both
// ends of a container's veth (ctl/big_tcp_sync.hpp), three times the kernel's 64 KiB default.
// TCP between containers then moves three times fewer frames per byte through the kernel (and
// the kernel offload, ports/offload/); a system port receives such frames whole and cuts them
// into 64 KiB pieces at once (gso_split.hpp), so nothing past the port sees more. The host end's
// value tells the port (AfPacketPort) to expect them. No dependencies: the CNI plugin has no DPDK.
#include <cstdint>

namespace lvs::ports {

inline constexpr uint32_t kBigTcpGsoSize = 196608;

}  // namespace lvs::ports
