#include "tunnels/large_frame_pool.hpp"

#include "ports/large_rx_pool.hpp"

namespace lvs::tunnels {

rte_mempool* large_frame_pool() {
  static rte_mempool* const pool =
      ports::make_large_frame_pool("lvs_tunnel_large", kLargeFramePoolSize, "tunnels");
  return pool;
}

}  // namespace lvs::tunnels
