#include "ports/afxdp_port.hpp"

#include <net/if.h>

#include "ports/kernel_netdev.hpp"

namespace lvs::ports {

std::shared_ptr<AfXdpPort> AfXdpPort::open(const std::string& name, const std::string& ifname,
                                           rte_mempool* pool, std::string& error) {
  const int ifindex = static_cast<int>(if_nametoindex(ifname.c_str()));
  if (ifindex == 0) {
    error = "no interface named '" + ifname + "'";
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
