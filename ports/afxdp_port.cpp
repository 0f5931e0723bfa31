#include "ports/afxdp_port.hpp"

#include <linux/bpf.h>
#include <net/if.h>
#include <rte_ether.h>
#include <rte_mbuf.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <set>
#include <vector>

#include "dpdk/mempool.hpp"
#include "ports/kernel_netdev.hpp"

namespace lvs::ports {
namespace {

// Pools of closed ports, freed once kRetireDelay has passed (checked whenever a port opens or
// closes): by then every frame they lent to other ports has been sent or dropped.
constexpr auto kRetireDelay = std::chrono::seconds(5);
struct Retired {
  rte_mempool* pool;
  std::chrono::steady_clock::time_point since;
};
std::mutex g_mutex;  // guards both lists below
std::vector<Retired> g_retired;
std::set<int> g_opened_ifindexes;  // interfaces an AF_XDP port of this process has used

void free_retired_pools() {
  const auto now = std::chrono::steady_clock::now();
  std::lock_guard lock(g_mutex);
  std::erase_if(g_retired, [&](const Retired& r) {
    if (now - r.since < kRetireDelay) return false;
    rte_mempool_free(r.pool);
    return true;
  });
}

// Enough for the fill ring (2,048), the rx ring (1,024) and frames on their way out.
rte_mempool* make_umem_pool(const rte_mempool* like) {
  static std::atomic<unsigned> serial{0};
  return dpdk::create_pool(
      {.name = "afxdp" + std::to_string(serial++),
       .mbufs = 8191,
       .cache = 256,
       .data_room = rte_pktmbuf_data_room_size(const_cast<rte_mempool*>(like))});
}

}  // namespace

uint32_t AfXdpPort::max_mtu(const rte_mempool* pool) {
  // net_af_xdp puts the umem frame inside the mbuf: the kernel writes the frame after the mbuf
  // headroom and XDP_PACKET_HEADROOM (measured: 1792-byte frames pass, 1794 do not).
  const int room = static_cast<int>(rte_pktmbuf_data_room_size(const_cast<rte_mempool*>(pool))) -
                   RTE_PKTMBUF_HEADROOM - XDP_PACKET_HEADROOM - RTE_ETHER_HDR_LEN;
  return room > 0 ? static_cast<uint32_t>(room) : 0;
}

std::shared_ptr<AfXdpPort> AfXdpPort::open(const std::string& name, const std::string& ifname,
                                           rte_mempool* pool, std::string& error) {
  const int ifindex = static_cast<int>(if_nametoindex(ifname.c_str()));
  if (ifindex == 0) {
    error = "no interface named '" + ifname + "'";
    return nullptr;
  }
  const uint32_t mtu = query_netdev(ifindex, ifname).mtu;
  if (mtu > max_mtu(pool)) {
    error = "port " + name + ": MTU " + std::to_string(mtu) + " of " + ifname + " is above the " +
            std::to_string(max_mtu(pool)) + " an afxdp port carries; lower it or use type system";
    return nullptr;
  }
  // busy_budget=0: preferred busy polling needs a NAPI driver, which a veth in copy mode is not.
  const std::string devargs =
      "net_af_xdp_" + name + ",iface=" + ifname + ",start_queue=0,queue_count=1,busy_budget=0";
  free_retired_pools();
  rte_mempool* umem = make_umem_pool(pool);
  if (!umem) {
    error = "port " + name + ": no memory for the AF_XDP packet pool";
    return nullptr;
  }
  auto dev = EthdevPort::open(name, devargs, 1, umem, error);
  if (!dev) {
    std::lock_guard lock(g_mutex);  // the PMD may have parked mbufs already
    g_retired.push_back({umem, std::chrono::steady_clock::now()});
    error = "port " + name + ": AF_XDP on " + ifname + ": " + error;
    if (g_opened_ifindexes.count(ifindex))
      error +=
          " (an earlier AF_XDP port of this vswitchd on this interface still holds its queue: DPDK "
          "22.11's net_af_xdp does not release it on close; restart vswitchd or use type=system)";
    return nullptr;
  }
  {
    std::lock_guard lock(g_mutex);
    g_opened_ifindexes.insert(ifindex);
  }
  return std::shared_ptr<AfXdpPort>(new AfXdpPort(name, std::move(dev), umem, ifname, ifindex));
}

AfXdpPort::AfXdpPort(std::string name, std::shared_ptr<EthdevPort> dev, rte_mempool* umem_pool,
                     std::string ifname, int ifindex)
    : Port(std::move(name), dev->tx_queue_count()),
      dev_(std::move(dev)),
      umem_pool_(umem_pool),
      ifname_(std::move(ifname)),
      ifindex_(ifindex) {}

AfXdpPort::~AfXdpPort() {
  dev_.reset();  // closes the device (and its XDP socket) first
  {
    std::lock_guard lock(g_mutex);
    g_retired.push_back({umem_pool_, std::chrono::steady_clock::now()});
  }
  free_retired_pools();
}

sw::PortStatus AfXdpPort::status() const { return query_netdev(ifindex_, ifname_); }

}  // namespace lvs::ports
