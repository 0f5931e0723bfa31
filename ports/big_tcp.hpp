#pragma once
// BIG TCP (Linux 6.3+): the IPv4 GSO size vsattach, the CNI plugin and the Docker driver give
// both ends of a container's veth (ctl/link_ops.hpp), three times the kernel's 64 KiB default.
// TCP between containers then moves three times fewer frames per byte through the kernel (and
// the kernel offload, ports/offload/); a system port receives such frames whole and cuts them
// into 64 KiB pieces at once (gso_split.hpp), so nothing past the port sees more. The host end's
// value tells the port (AfPacketPort) to expect them. No dependencies: the CNI plugin has no DPDK.
#include <cstdint>

namespace lvs::ports {

inline constexpr uint32_t kBigTcpGsoSize = 196608;

}  // namespace lvs::ports
