#include "tunnels/large_frame_pool.hpp"

#include <cstdio>

#include "dpdk/mempool.hpp"
#include "ports/kernel_frame.hpp"

namespace lvs::tunnels {

rte_mempool* large_frame_pool() {
  static rte_mempool* const pool = [] {
    rte_mempool* p = dpdk::create_pool({.name = "lvs_tunnel_large",
                                        .mbufs = kLargeFramePoolSize - 1,
                                        .cache = 16,
                                        .data_room = ports::kLargeDataRoom});
    if (p == nullptr)
      std::fprintf(stderr, "tunnels: no pool of 64 KiB mbufs (%u); receiving into 2 KiB mbufs\n",
                   kLargeFramePoolSize);
    return p;
  }();
  return pool;
}

}  // namespace lvs::tunnels
