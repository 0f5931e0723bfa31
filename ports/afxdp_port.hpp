#pragma once
// Kind "afxdp": an existing kernel interface (a container's veth host end, or any netdev) through
// AF_XDP, using DPDK's net_af_xdp PMD (libxdp loads the redirect program; on a veth it runs in copy
// mode). One queue, the interface's queue 0: a veth made by vsattach has one. AF_XDP carries no
// virtio-net header, so the peer's TSO/GSO and checksum offloads must be off (vsattach
// --port-type afxdp turns them off on the container end) and frames are limited to one 2 KiB mbuf.
// Link, MTU and MAC are the kernel interface's (the PMD always reports link up).
#include <rte_mempool.h>

#include <memory>
#include <string>

#include "ports/ethdev_port.hpp"
#include "switch/port.hpp"

namespace lvs::ports {

class AfXdpPort final : public sw::Port {
 public:
  // Opens `ifname` (must exist). Returns nullptr and sets `error` when that fails. `pool` holds the
  // AF_XDP umem, so its mbufs must fit a page (the default 2 KiB data room).
  static std::shared_ptr<AfXdpPort> open(const std::string& name, const std::string& ifname,
                                         rte_mempool* pool, std::string& error);

  // The largest MTU whose frames fit one mbuf of `pool` after the AF_XDP headroom (1778 with
  // the default 2 KiB mbufs): larger frames would be dropped by the kernel, unseen.
  static uint32_t max_mtu(const rte_mempool* pool);

  std::string_view kind() const override { return "afxdp"; }
  uint16_t rx_queue_count() const override { return dev_->rx_queue_count(); }
  uint16_t rx_burst(uint16_t q, rte_mbuf** pkts, uint16_t n) override {
    return dev_->EthdevPort::rx_burst(q, pkts, n);
  }
  uint16_t tx_burst(uint16_t q, rte_mbuf** pkts, uint16_t n) override {
    return dev_->EthdevPort::tx_burst(q, pkts, n);
  }
  sw::PortStatus status() const override;
  const std::string& ifname() const { return ifname_; }

 private:
  AfXdpPort(std::string name, std::shared_ptr<EthdevPort> dev, std::string ifname, int ifindex);
  std::shared_ptr<EthdevPort> dev_;
  std::string ifname_;
  int ifindex_;
};

}  // namespace lvs::ports
