#include "ports/afxdp_port.hpp"

#include <linux/bpf.h>
#include <net/if.h>
#include <rte_ether.h>
#include <rte_mbuf.h>

#include "ports/kernel_netdev.hpp"

namespace lvs::ports {

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
  auto dev = EthdevPort::open(name, devargs, 1, pool, error);
  if (!dev) {
    error = "port " + name + ": AF_XDP on " + ifname + ": " + error;
    return nullptr;
  }
  return std::shared_ptr<AfXdpPort>(new AfXdpPort(name, std::move(dev), ifname, ifindex));
}

AfXdpPort::AfXdpPort(std::string name, std::shared_ptr<EthdevPort> dev, std::string ifname,
                     int ifindex)
    : Port(std::move(name), dev->tx_queue_count()),
      dev_(std::move(dev)),
      ifname_(std::move(ifname)),
      ifindex_(ifindex) {}

sw::PortStatus AfXdpPort::status() const { return query_netdev(ifindex_, ifname_); }

}  // namespace lvs::ports
