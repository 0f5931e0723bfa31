#include "ports/ethdev_port.hpp"

#include <rte_bus.h>
#include <rte_dev.h>
#include <rte_errno.h>
#include <rte_ethdev.h>

#include <algorithm>

namespace lvs::ports {

std::shared_ptr<EthdevPort> EthdevPort::open(const std::string& name, const std::string& devargs,
                                             uint16_t queues, rte_mempool* pool,
                                             std::string& error) {
  const std::string device = devargs.substr(0, devargs.find(','));
  uint16_t port_id = 0;
  bool probed = false;
  if (rte_eth_dev_get_port_by_name(device.c_str(), &port_id) != 0) {
    if (rte_dev_probe(devargs.c_str()) != 0 ||
        rte_eth_dev_get_port_by_name(device.c_str(), &port_id) != 0) {
      error = "cannot probe DPDK device '" + devargs + "'";
      return nullptr;
    }
    probed = true;
  }
  rte_eth_dev_info info{};
  if (rte_eth_dev_info_get(port_id, &info) != 0) {
    error = "cannot read device info of '" + device + "'";
    return nullptr;
  }
  queues =
      std::max<uint16_t>(1, std::min<uint16_t>({queues, static_cast<uint16_t>(info.max_rx_queues),
                                                static_cast<uint16_t>(info.max_tx_queues)}));
  rte_eth_conf conf{};
  int rc = rte_eth_dev_configure(port_id, queues, queues, &conf);
  for (uint16_t q = 0; rc == 0 && q < queues; ++q) {
    rc = rte_eth_rx_queue_setup(port_id, q, 1024, rte_eth_dev_socket_id(port_id), nullptr, pool);
    if (rc == 0)
      rc = rte_eth_tx_queue_setup(port_id, q, 1024, rte_eth_dev_socket_id(port_id), nullptr);
  }
  if (rc == 0) rc = rte_eth_dev_start(port_id);
  if (rc != 0) {
    error = "cannot start DPDK device '" + device + "': " + rte_strerror(-rc);
    if (probed && info.device) rte_dev_remove(info.device);
    return nullptr;
  }
  rte_eth_promiscuous_enable(port_id);
  return std::shared_ptr<EthdevPort>(new EthdevPort(name, port_id, queues, device, probed));
}

EthdevPort::EthdevPort(std::string name, uint16_t port_id, uint16_t queues, std::string device,
                       bool probed)
    : Port(std::move(name), queues),
      port_id_(port_id),
      queues_(queues),
      device_(std::move(device)),
      probed_(probed) {}

EthdevPort::~EthdevPort() {
  rte_eth_dev_info info{};
  rte_device* dev = rte_eth_dev_info_get(port_id_, &info) == 0 ? info.device : nullptr;
  rte_eth_dev_stop(port_id_);
  rte_eth_dev_close(port_id_);
  if (probed_ && dev) rte_dev_remove(dev);
}

uint16_t EthdevPort::rx_burst(uint16_t q, rte_mbuf** pkts, uint16_t n) {
  return rte_eth_rx_burst(port_id_, q, pkts, n);
}

uint16_t EthdevPort::tx_burst(uint16_t q, rte_mbuf** pkts, uint16_t n) {
  return rte_eth_tx_burst(port_id_, q, pkts, n);
}

sw::PortStatus EthdevPort::status() const {
  sw::PortStatus s;
  rte_eth_link link{};
  if (rte_eth_link_get_nowait(port_id_, &link) == 0) s.link_up = link.link_status;
  uint16_t mtu = 0;
  if (rte_eth_dev_get_mtu(port_id_, &mtu) == 0) s.mtu = mtu;
  rte_ether_addr mac{};
  if (rte_eth_macaddr_get(port_id_, &mac) == 0) {
    char buf[RTE_ETHER_ADDR_FMT_SIZE];
    rte_ether_format_addr(buf, sizeof(buf), &mac);
    s.mac = buf;
  }
  return s;
}

}  // namespace lvs::ports
