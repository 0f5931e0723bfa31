#pragma once
// The userspace tunnel endpoint on one switch port (options:underlay=port): local_ip and the MAC
// it answers with, shared by every tunnel that leaves by that port.
//
// As the port's rx filter (switch/rx_filter.hpp) it takes, before the L2 pipeline, per burst:
//   - ARP requests for local_ip: answered at once from this MAC (the request is turned into the
//     reply in place); the asker's address is learnt when it is a tracked next hop;
//   - ARP replies for local_ip: learnt (neighbour_cache.hpp); taken when sent to this MAC;
//   - IPv4 to local_ip carrying UDP to a VXLAN port in use, or GRE when a GRE tunnel exists:
//     outer headers checked (version, header checksum, lengths, no fragments), decapsulated
//     (TunnelReceiver::decap) and queued to the ring of the tunnel with (source, key);
//     anything wrong is dropped and counted by reason on that remote's port or here.
// Everything else stays in the burst for the bridge (the host's own traffic on that LAN).
// One spinlock guards the flows and the neighbour table, taken once per burst that holds frames
// for the endpoint, and once per transmitted burst (resolve()); the control plane takes it to
// attach and detach.
#include <rte_mempool.h>
#include <rte_ring.h>
#include <rte_spinlock.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "switch/port.hpp"
#include "switch/rx_filter.hpp"
#include "switch/types.hpp"
#include "tunnels/neighbour_cache.hpp"
#include "tunnels/tunnel_config.hpp"

namespace lvs::tunnels {

struct VtepCounters {
  uint64_t rx_tunnel = 0;      // tunnel packets taken off the port
  uint64_t malformed = 0;      // bad outer / tunnel headers, fragments
  uint64_t no_tunnel = 0;      // (remote, key) of no tunnel
  uint64_t arp_replied = 0;    // requests for local_ip answered
  uint64_t arp_requested = 0;  // requests sent for next hops
  uint64_t arp_learnt = 0;     // next-hop addresses (re)confirmed
  uint64_t ring_full = 0;
};

class PortVtep final : public sw::RxFilter {
 public:
  // The endpoint on `port`, created on first use. Fails when the port already serves another
  // local_ip, or has no MAC address.
  static std::shared_ptr<PortVtep> acquire(std::shared_ptr<sw::Port> port, uint32_t local_ip,
                                           rte_mempool* pool, std::string& error);
  ~PortVtep() override;

  uint16_t filter(unsigned pmd, rte_mbuf** pkts, uint16_t n) override;

  // Routes tunnel packets of (kind, dst_port, remote, key) to `ring`; fails when taken.
  bool attach(TunnelKind kind, uint16_t dst_port, uint32_t remote, uint32_t key, rte_ring* ring,
              sw::PortStats* stats, std::string& error);
  void detach(TunnelKind kind, uint16_t dst_port, uint32_t remote, uint32_t key);

  // Next hops: tracked by the control plane, resolved per transmitted burst. resolve() sends an
  // ARP request from PMD `pmd` when one is due; nullopt while the MAC is unknown.
  bool track(uint32_t next_hop);
  void untrack(uint32_t next_hop);
  std::optional<sw::MacAddr> resolve(unsigned pmd, uint32_t next_hop);
  void request(unsigned pmd, uint32_t ip);  // sends one ARP request now

  sw::Port& port() const { return *port_; }
  const sw::MacAddr& mac() const { return mac_; }
  uint32_t local_ip() const { return local_ip_; }
  VtepCounters counters() const;

 private:
  struct Flow {
    rte_ring* ring;
    sw::PortStats* stats;
  };
  PortVtep(std::shared_ptr<sw::Port> port, uint32_t local_ip, const sw::MacAddr& mac,
           rte_mempool* pool);
  static uint64_t flow_key(uint32_t remote, uint32_t key) {
    return static_cast<uint64_t>(remote) << 32 | key;
  }
  static uint64_t now_ms();
  // Frame classification (no lock); the handlers below run under lock_.
  enum class Class : uint8_t { kPass, kArp, kTunnel };
  Class classify(const rte_mbuf* m) const;
  enum class ArpAction : uint8_t { kPass, kReply, kConsumed };  // kReply: m is now the reply
  ArpAction handle_arp(rte_mbuf* m, uint64_t now);
  void handle_tunnel(rte_mbuf* m);
  sw::PortStats* stats_for_remote(uint32_t remote) const;

  std::shared_ptr<sw::Port> port_;
  uint32_t local_ip_;
  sw::MacAddr mac_;
  rte_mempool* pool_;

  rte_spinlock_t lock_;
  // Read by classify() without the lock: which UDP ports carry VXLAN here, whether GRE does.
  std::array<std::atomic<uint64_t>, 1024> vxlan_port_bits_{};
  std::atomic<uint32_t> gre_tunnels_{0};
  // Under lock_: (dst_port, remote, VNI) and (remote, key) -> the tunnel's ring.
  std::unordered_map<uint16_t, std::unordered_map<uint64_t, Flow>> vxlan_flows_;
  std::unordered_map<uint64_t, Flow> gre_flows_;
  std::unordered_map<uint32_t, sw::PortStats*> remotes_;  // first tunnel per remote address
  NeighbourCache neighbours_;

  struct Atomics {
    std::atomic<uint64_t> rx_tunnel{0}, malformed{0}, no_tunnel{0}, arp_replied{0},
        arp_requested{0}, arp_learnt{0}, ring_full{0};
  };
  Atomics counters_;
};

}  // namespace lvs::tunnels
