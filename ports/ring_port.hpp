#pragma once
// A port made of two rte_rings: tests and benchmarks put frames on its rx ring and take what the
// switch sent from its tx ring. No kernel, no device.
#include <rte_ring.h>

#include "switch/port.hpp"

namespace lvs::ports {

class RingPort final : public sw::Port {
 public:
  // Ring sizes are powers of two; a full tx ring drops (counted as tx_full).
  explicit RingPort(std::string name, unsigned ring_size = 1024);
  ~RingPort() override;

  std::string_view kind() const override { return "ring"; }
  uint16_t rx_burst(uint16_t q, rte_mbuf** pkts, uint16_t n) override;
  uint16_t tx_burst(uint16_t q, rte_mbuf** pkts, uint16_t n) override;

  // Test side: frames "arriving" from outside, and frames the switch sent out.
  unsigned inject(rte_mbuf** pkts, unsigned n);
  unsigned collect(rte_mbuf** pkts, unsigned n);
  unsigned pending_tx() const;
  // Frees everything left in both rings.
  void drain();
  // Makes the port refuse frames longer than `mtu` + 18 as a device of that MTU does (0: any).
  void set_mtu(uint32_t mtu) { set_max_frame_len(mtu ? mtu + 18 : 0); }

 private:
  rte_ring* rx_;
  rte_ring* tx_;
};

}  // namespace lvs::ports
