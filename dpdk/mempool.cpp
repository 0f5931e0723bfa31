#include "dpdk/mempool.hpp"

#include <rte_lcore.h>

namespace lvs::dpdk {

rte_mempool* create_pool(const PoolOptions& o) {
  const int socket = rte_socket_id() == static_cast<unsigned>(SOCKET_ID_ANY) ? 0 : rte_socket_id();
  return rte_pktmbuf_pool_create(o.name.c_str(), o.mbufs, o.cache, 0, o.data_room, socket);
}

unsigned pool_in_use(const rte_mempool* pool) { return rte_mempool_in_use_count(pool); }

}  // namespace lvs::dpdk
