#pragma once
// Any DPDK ethdev by devargs: a vdev ("net_null0", "net_ring0", "net_pcap0,rx_pcap=f.pcap"), or a
// PCI address. One rx queue and one tx queue per PMD thread when the device allows it.
#include <rte_mempool.h>

#include <memory>
#include <string>

#include "switch/port.hpp"

namespace lvs::ports {

class EthdevPort final : public sw::Port {
 public:
  // Probes and starts the device. Returns nullptr and sets `error` when that fails.
  static std::shared_ptr<EthdevPort> open(const std::string& name, const std::string& devargs,
                                          uint16_t queues, rte_mempool* pool, std::string& error);
  ~EthdevPort() override;

  std::string_view kind() const override { return "dpdk"; }
  uint16_t rx_queue_count() const override { return queues_; }
  uint16_t rx_burst(uint16_t q, rte_mbuf** pkts, uint16_t n) override;
  uint16_t tx_burst(uint16_t q, rte_mbuf** pkts, uint16_t n) override;
  sw::PortStatus status() const override;
  uint16_t port_id() const { return port_id_; }

 private:
  EthdevPort(std::string name, uint16_t port_id, uint16_t queues, std::string device, bool probed);
  uint16_t port_id_;
  uint16_t queues_;
  std::string device_;
  bool probed_;
};

}  // namespace lvs::ports
