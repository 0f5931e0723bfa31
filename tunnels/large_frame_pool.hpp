#pragma once
// One process-wide pool of 64 KiB mbufs for the kernel underlay's receive path
// (underlay_endpoint.hpp, vxlan_gro.hpp): a UDP GRO buffer lands in one of them instead of ~33
// mbufs of the main 2 KiB pool, and a joined inner TSO super-frame is written into one, so each
// costs one allocation and one free, and the container's AF_PACKET port sends it as two iovecs.
// Small: the endpoint frees its buffers within the burst, a joined frame lives until the PMD
// that queued it sends it (the same PMD iteration). Made on first use and never freed (frames
// from it may outlive any endpoint); when it cannot be made or is empty, callers fall back to
// the main pool.
#include <rte_mempool.h>

namespace lvs::tunnels {

inline constexpr unsigned kLargeFramePoolSize = 192;

// nullptr when the pool could not be created (EAL memory); the failure is logged once.
rte_mempool* large_frame_pool();

}  // namespace lvs::tunnels
