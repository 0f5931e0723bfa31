#pragma once
// Kinds "vxlan" and "gre": a port of a bridge whose frames travel inside VXLAN (RFC 7348) or GRE
// (RFC 2784/2890, 0x6558) packets. How they travel is its Underlay (underlay.hpp): the host
// kernel's sockets (kernel_underlay.hpp, the default) or a port of this switch
// (port_underlay.hpp, options:underlay=port). Received frames are queued to this port's ring by
// the underlay's rx stage (the kernel endpoint, polled by the PMD as a stage of its own) or by the
// underlay port's rx filter (port_vtep.hpp); rx_burst only dequeues. With underlay=port the PMD
// hands output to encapsulate(), which queues the outer frames to the underlay port's TX batch.
#include <rte_mempool.h>
#include <rte_ring.h>

#include <memory>
#include <string>

#include "switch/port.hpp"
#include "tunnels/tunnel_config.hpp"
#include "tunnels/tunnel_encap.hpp"
#include "tunnels/underlay.hpp"

namespace lvs::tunnels {

class TunnelPort final : public sw::Port {
 public:
  // `underlay_port`: the open port named by options:underlay_port (required with underlay=port,
  // ignored otherwise).
  static std::shared_ptr<TunnelPort> open(const std::string& name, const TunnelConfig& config,
                                          rte_mempool* pool, std::string& error,
                                          std::shared_ptr<sw::Port> underlay_port = nullptr);
  ~TunnelPort() override;

  std::string_view kind() const override {
    return config_.kind == TunnelKind::kVxlan ? "vxlan" : "gre";
  }
  uint16_t rx_burst(uint16_t q, rte_mbuf** pkts, uint16_t n) override;
  uint16_t tx_burst(uint16_t q, rte_mbuf** pkts, uint16_t n) override;
  sw::PortStatus status() const override { return underlay_->status(); }
  int rx_wait_fd(uint16_t) const override { return underlay_->rx_wait_fd(); }
  sw::Port* egress_port() const override { return underlay_->egress_port(); }
  void encapsulate(unsigned pmd, rte_mbuf** pkts, uint16_t n, sw::TxOutput& out) override;
  std::shared_ptr<sw::RxStage> rx_stage() const override { return underlay_->rx_stage(); }

  const TunnelConfig& config() const { return config_; }
  Underlay& underlay() const { return *underlay_; }

 private:
  TunnelPort(std::string name, const TunnelConfig& config, rte_ring* ring);

  TunnelConfig config_;
  rte_ring* ring_;
  std::unique_ptr<Underlay> underlay_;
};

}  // namespace lvs::tunnels
