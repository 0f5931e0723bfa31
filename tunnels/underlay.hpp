#pragma once
// How a tunnel port's packets travel: one interface, two implementations chosen by
// options:underlay. KernelUnderlay (kernel_underlay.hpp): the host kernel's UDP / raw GRE sockets.
// PortUnderlay (port_underlay.hpp): whole Ethernet frames out of a switch port, ARP and routes
// handled here. TunnelPort calls it once per burst and never knows which one it has.
#include <rte_mbuf.h>

#include <cstdint>
#include <memory>

#include "switch/port.hpp"
#include "switch/rx_filter.hpp"
#include "switch/rx_stage.hpp"
#include "switch/tx_batch.hpp"

namespace lvs::tunnels {

class Underlay {
 public:
  virtual ~Underlay() = default;
  // Encapsulates pkts[0, n) and sends them from PMD `pmd`; every frame is consumed (sent or
  // dropped and counted on the tunnel port's stats).
  virtual void transmit(unsigned pmd, rte_mbuf** pkts, uint16_t n) = 0;
  // The switch port the outer frames leave by (port underlay), null for the kernel's sockets;
  // with one, the PMD calls encapsulate(), which queues the outer frames to `out`, that port's
  // TX batch, instead of transmit().
  virtual sw::Port* egress_port() const { return nullptr; }
  virtual void encapsulate(unsigned pmd, rte_mbuf** pkts, uint16_t n, sw::TxOutput&) {
    transmit(pmd, pkts, n);
  }
  // What moves received packets into the tunnel ports' rings, polled by the PMD as a stage of
  // its own (the kernel underlay's endpoint socket); null for the port underlay, whose packets
  // arrive through its underlay port's rx filter.
  virtual std::shared_ptr<sw::RxStage> rx_stage() const { return nullptr; }
  virtual int rx_wait_fd() const = 0;
  // The inner MTU towards remote_ip and the health of the path (route, neighbour).
  virtual sw::PortStatus status() const = 0;
  // The filter to put in front of the underlay port's pipeline; null for the kernel underlay.
  virtual std::shared_ptr<sw::RxFilter> rx_filter() const { return nullptr; }
};

}  // namespace lvs::tunnels
