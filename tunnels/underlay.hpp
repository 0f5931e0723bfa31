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

namespace lvs::tunnels {

class Underlay {
 public:
  virtual ~Underlay() = default;
  // Encapsulates pkts[0, n) and sends them from PMD `pmd`; every frame is consumed (sent or
  // dropped and counted on the tunnel port's stats).
  virtual void transmit(unsigned pmd, rte_mbuf** pkts, uint16_t n) = 0;
  // Moves what waits for the tunnel ports into their rings (the kernel underlay reads its
  // socket; the port underlay's packets arrive through its underlay port's rx filter instead).
  virtual void poll() = 0;
  virtual int rx_wait_fd() const = 0;
  // The inner MTU towards remote_ip and the health of the path (route, neighbour).
  virtual sw::PortStatus status() const = 0;
  // The filter to put in front of the underlay port's pipeline; null for the kernel underlay.
  virtual std::shared_ptr<sw::RxFilter> rx_filter() const { return nullptr; }
};

}  // namespace lvs::tunnels
