#include "ports/large_rx_pool.hpp"

#include <cstdio>

#include "dpdk/mempool.hpp"
#include "ports/kernel_frame.hpp"

namespace lvs::ports {

rte_mempool* make_large_frame_pool(const char* name, unsigned size, const char* what) {
  rte_mempool* p = dpdk::create_pool(
      {.name = name, .mbufs = size - 1, .cache = 16, .data_room = kLargeDataRoom});
  if (p == nullptr)
    std::fprintf(stderr, "%s: no pool of 64 KiB mbufs (%u); receiving into 2 KiB mbufs\n", what,
                 size);
  return p;
}

rte_mempool* afpacket_large_pool() {
  static rte_mempool* const pool =
      make_large_frame_pool("lvs_afpacket_large", kAfPacketLargePoolSize, "system ports");
  return pool;
}

}  // namespace lvs::ports
