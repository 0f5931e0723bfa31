#pragma once
// options:underlay=port: a tunnel fully in userspace. Its outer frames (Ethernet + IPv4 + UDP /
// GRE, built here around the tunnel header of tunnel_encap.hpp) leave by a port of this switch,
// options:underlay_port, normally the host's uplink attached as a system port to a bridge of its
// own; frames for local_ip come back through that port's rx filter (port_vtep.hpp).
//
// Next hop: the kernel's route towards remote_ip in vswitchd's namespace (route_lookup.hpp),
// looked up when the tunnel opens and again whenever its status is read (`vsctl show`, `list
// interface`); its MAC comes from the endpoint's ARP (neighbour_cache.hpp: frames are dropped and
// counted as no_neighbour until it is known; the first request goes out at open).
// Transmit, per burst: the next hop resolved once, then every piece of every frame copied into a
// fresh mbuf behind the outer headers (IPv4 id per port, header checksum, DF from df_default) and
// the lot sent with one Port::send on the underlay port. A piece whose outer packet exceeds the
// underlay port's MTU is dropped and counted as too_big (this underlay does not fragment, even
// with df_default=false).
#include <rte_mempool.h>
#include <rte_ring.h>

#include <atomic>
#include <memory>
#include <string>

#include "tunnels/port_vtep.hpp"
#include "tunnels/tunnel_encap.hpp"
#include "tunnels/underlay.hpp"

namespace lvs::tunnels {

class PortUnderlay final : public Underlay {
 public:
  static std::unique_ptr<PortUnderlay> open(const TunnelConfig& config,
                                            std::shared_ptr<sw::Port> underlay_port, rte_ring* ring,
                                            sw::PortStats& stats, rte_mempool* pool,
                                            std::string& error);
  ~PortUnderlay() override;

  void transmit(unsigned pmd, rte_mbuf** pkts, uint16_t n) override;
  void poll() override {}
  int rx_wait_fd() const override { return -1; }
  sw::PortStatus status() const override;
  std::shared_ptr<sw::RxFilter> rx_filter() const override { return vtep_; }

  const std::shared_ptr<PortVtep>& vtep() const { return vtep_; }
  uint32_t next_hop() const { return next_hop_.load(std::memory_order_relaxed); }

 private:
  PortUnderlay(const TunnelConfig& config, std::shared_ptr<PortVtep> vtep, sw::PortStats& stats,
               rte_mempool* pool);
  void set_next_hop(uint32_t hop) const;  // control plane: tracks the new one, untracks the old

  TunnelEncap encap_;
  std::shared_ptr<PortVtep> vtep_;
  sw::PortStats& stats_;
  rte_mempool* pool_;
  bool attached_ = false;
  mutable std::atomic<uint32_t> next_hop_{0};
  mutable std::atomic<uint32_t> underlay_mtu_{1500};
  uint16_t ip_id_ = 0;  // tx_burst runs under the tunnel port's queue lock
};

}  // namespace lvs::tunnels
