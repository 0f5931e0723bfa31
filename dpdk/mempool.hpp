#pragma once
// Packet buffer pools. Every port and the flood path draw from pools made here.
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include <cstdint>
#include <string>

namespace lvs::dpdk {

struct PoolOptions {
  std::string name;  // must be unique in the process
  unsigned mbufs = 16383;
  unsigned cache = 256;
  uint16_t data_room = RTE_MBUF_DEFAULT_BUF_SIZE;
};

// Returns nullptr (with rte_errno set) when the pool cannot be created.
rte_mempool* create_pool(const PoolOptions& options);

// Mbufs of the pool not yet returned (in use by ports, rings or the datapath).
unsigned pool_in_use(const rte_mempool* pool);

}  // namespace lvs::dpdk
