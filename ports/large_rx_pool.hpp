#pragma once
// Process-wide pools of 64 KiB mbufs for receiving from the kernel. A TSO/GRO super-frame read
// into a 2 KiB head plus one of these costs two allocations and frees instead of ~33 of the main
// pool's 2 KiB mbufs. Made on first use and never freed (frames from them may outlive any port);
// nullptr when one cannot be made (logged once): callers then fall back to 2 KiB chains, as they
// do while a pool is empty.
#include <rte_mempool.h>

namespace lvs::ports {

// Makes a pool of `size` - 1 mbufs of kLargeDataRoom; nullptr (logged, naming `what`) on failure.
rte_mempool* make_large_frame_pool(const char* name, unsigned size, const char* what);

// Receive tails of the system (AF_PACKET) ports, shared by all of them: a port holds at most one
// per receive slot (sw::kBurst) and only while it has frames to read (a drained socket gives its
// slots back), so the memory does not grow with the number of ports. A port receiving BIG TCP
// frames holds three per slot (kBigTails): 1023 x ~66 KiB = ~66 MiB.
inline constexpr unsigned kAfPacketLargePoolSize = 1024;
rte_mempool* afpacket_large_pool();

}  // namespace lvs::ports
