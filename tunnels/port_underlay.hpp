#pragma once
// options:underlay=port: a tunnel fully in userspace. Its outer frames (Ethernet + IPv4 + UDP /
// GRE, built here around the tunnel header of tunnel_encap.hpp) leave by a port of this switch,
// options:underlay_port, normally the host's uplink attached as a system port to a bridge of its
// own; frames for local_ip come back through that port's rx filter (port_vtep.hpp).
//
// Next hop: the kernel's route towards remote_ip in vswitchd's namespace (route_lookup.hpp),
// looked up when the tunnel opens and again on every route change the kernel notifies and every
// few seconds (route_monitor.hpp), and when its status is read; its MAC comes from the endpoint's
// ARP (neighbour_cache.hpp: frames are dropped and counted as no_neighbour until it is known; a
// request goes out at open and when the next hop changes).
// Transmit, per burst, from the PMD's TX batches (switch/tx_batch.hpp): the next hop resolved
// once, then each frame gets the outer headers (IPv4 id per PMD, header checksum, DF from
// df_default) and is queued to the underlay port's batch of that PMD, so the outer frames of
// every tunnel leaving by it go out with its own output in one send per 32 frames. A frame not
// to be segmented that nothing else holds and that has the headroom gets them in place, without
// a copy (a checksum left to finish is finished in its own headers first); the others (flooded
// frames still shared, TSO super-frames) are cut into pieces, each copied into a fresh mbuf
// behind the outer headers. A piece
// whose outer packet exceeds the underlay port's MTU is dropped and counted as too_big (this
// underlay does not fragment, even with df_default=false). Called outside a PMD (tx_burst, tests),
// it sends to the underlay port directly.
#include <rte_mempool.h>
#include <rte_ring.h>

#include <array>
#include <atomic>
#include <memory>
#include <mutex>
#include <string>

#include "tunnels/port_vtep.hpp"
#include "tunnels/route_monitor.hpp"
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
  sw::Port* egress_port() const override { return &vtep_->port(); }
  void encapsulate(unsigned pmd, rte_mbuf** pkts, uint16_t n, sw::TxOutput& out) override;
  int rx_wait_fd() const override { return -1; }
  sw::PortStatus status() const override;
  std::shared_ptr<sw::RxFilter> rx_filter() const override { return vtep_; }

  const std::shared_ptr<PortVtep>& vtep() const { return vtep_; }
  uint32_t next_hop() const { return next_hop_.load(std::memory_order_relaxed); }

 private:
  PortUnderlay(const TunnelConfig& config, std::shared_ptr<PortVtep> vtep, sw::PortStats& stats,
               rte_mempool* pool);
  // Control plane (route monitor, status): looks the route up again and follows it; returns the
  // lookup's error, empty when there is a route.
  std::string refresh_route() const;
  void set_next_hop(
      uint32_t hop) const;  // under route_mutex_: tracks the new one, untracks the old
  // Encapsulates pkts[0, n) from PMD `pmd`, calling emit(outer frame) for each outer frame.
  template <class Emit>
  void encap_burst(unsigned pmd, rte_mbuf** pkts, uint16_t n, Emit&& emit);

  TunnelEncap encap_;
  std::shared_ptr<PortVtep> vtep_;
  sw::PortStats& stats_;
  rte_mempool* pool_;
  bool attached_ = false;
  mutable std::mutex route_mutex_;
  mutable std::atomic<uint32_t> next_hop_{0};
  mutable std::atomic<uint32_t> underlay_mtu_{1500};
  std::shared_ptr<RouteMonitor> monitor_;
  uint64_t watch_id_ = 0;
  // IPv4 ids, one counter per PMD (several PMDs encapsulate for one tunnel at once), each on a
  // cache line of its own; PMD i starts at i << 10 so that their sequences do not meet soon.
  static constexpr unsigned kIdCounters = 64;
  struct alignas(64) IdCounter {
    uint16_t next = 0;
  };
  std::array<IdCounter, kIdCounters> ip_ids_{};
};

}  // namespace lvs::tunnels
