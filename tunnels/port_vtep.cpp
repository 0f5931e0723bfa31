#include "tunnels/port_vtep.hpp"

#include <rte_cycles.h>
#include <rte_ip.h>

#include <cstring>
#include <map>
#include <mutex>

#include "tunnels/gre_header.hpp"
#include "tunnels/underlay_endpoint.hpp"
#include "tunnels/vxlan_header.hpp"

namespace lvs::tunnels {
namespace {

constexpr uint16_t kEthIpv4 = 0x0800;
constexpr uint16_t kEthArp = 0x0806;
constexpr uint32_t kArpLen = 28;

std::mutex& registry_mutex() {
  static std::mutex m;
  return m;
}
std::map<const sw::Port*, std::weak_ptr<PortVtep>>& registry() {
  static std::map<const sw::Port*, std::weak_ptr<PortVtep>> r;
  return r;
}

uint32_t load_u32(const uint8_t* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}

}  // namespace

std::shared_ptr<PortVtep> PortVtep::acquire(std::shared_ptr<sw::Port> port, uint32_t local_ip,
                                            rte_mempool* pool, std::string& error) {
  std::lock_guard lock(registry_mutex());
  auto& r = registry();
  if (auto it = r.find(port.get()); it != r.end())
    if (auto v = it->second.lock()) {
      if (v->local_ip() != local_ip) {
        error = "underlay port " + port->name() + " already carries local_ip " +
                ipv4_to_string(v->local_ip()) + " (one local_ip per underlay port)";
        return nullptr;
      }
      return v;
    }
  const auto mac = sw::MacAddr::parse(port->status().mac);
  if (!mac || mac->is_zero() || mac->is_multicast()) {
    error = "underlay port " + port->name() + " has no MAC address to answer ARP with";
    return nullptr;
  }
  if (pool == nullptr) {
    error = "no mempool for the tunnel endpoint";
    return nullptr;
  }
  auto v = std::shared_ptr<PortVtep>(new PortVtep(std::move(port), local_ip, *mac, pool));
  r[v->port_.get()] = v;
  return v;
}

PortVtep::PortVtep(std::shared_ptr<sw::Port> port, uint32_t local_ip, const sw::MacAddr& mac,
                   rte_mempool* pool)
    : port_(std::move(port)), local_ip_(local_ip), mac_(mac), pool_(pool) {
  rte_spinlock_init(&lock_);
}

PortVtep::~PortVtep() {
  std::lock_guard lock(registry_mutex());
  auto& r = registry();
  if (auto it = r.find(port_.get()); it != r.end() && it->second.expired()) r.erase(it);
}

uint64_t PortVtep::now_ms() { return rte_get_timer_cycles() / (rte_get_timer_hz() / 1000); }

bool PortVtep::attach(TunnelKind kind, uint16_t dst_port, uint32_t remote, uint32_t key,
                      rte_ring* ring, sw::PortStats* stats, std::string& error) {
  rte_spinlock_lock(&lock_);
  auto& flows = kind == TunnelKind::kVxlan ? vxlan_flows_[dst_port] : gre_flows_;
  const bool fresh = flows.emplace(flow_key(remote, key), Flow{ring, stats}).second;
  if (fresh) remotes_.emplace(remote, stats);
  rte_spinlock_unlock(&lock_);
  if (!fresh) {
    error = "underlay port " + port_->name() + ": another tunnel already has remote_ip " +
            ipv4_to_string(remote) + " and key " + std::to_string(key);
    return false;
  }
  if (kind == TunnelKind::kVxlan)
    vxlan_port_bits_[dst_port / 64].fetch_or(uint64_t{1} << (dst_port % 64));
  else
    gre_tunnels_.fetch_add(1);
  return true;
}

void PortVtep::detach(TunnelKind kind, uint16_t dst_port, uint32_t remote, uint32_t key) {
  rte_spinlock_lock(&lock_);
  if (kind == TunnelKind::kVxlan) {
    auto& flows = vxlan_flows_[dst_port];
    flows.erase(flow_key(remote, key));
    if (flows.empty()) {
      vxlan_flows_.erase(dst_port);
      vxlan_port_bits_[dst_port / 64].fetch_and(~(uint64_t{1} << (dst_port % 64)));
    }
  } else if (gre_flows_.erase(flow_key(remote, key))) {
    gre_tunnels_.fetch_sub(1);
  }
  remotes_.erase(remote);
  auto adopt = [&](const std::unordered_map<uint64_t, Flow>& flows) {
    for (const auto& [k, f] : flows)  // another tunnel with that remote takes over its counting
      if (static_cast<uint32_t>(k >> 32) == remote) remotes_.emplace(remote, f.stats);
  };
  for (const auto& [p, flows] : vxlan_flows_) adopt(flows);
  adopt(gre_flows_);
  rte_spinlock_unlock(&lock_);
}

bool PortVtep::track(uint32_t next_hop) {
  rte_spinlock_lock(&lock_);
  const bool ok = neighbours_.track(next_hop);
  rte_spinlock_unlock(&lock_);
  return ok;
}

void PortVtep::untrack(uint32_t next_hop) {
  rte_spinlock_lock(&lock_);
  neighbours_.untrack(next_hop);
  rte_spinlock_unlock(&lock_);
}

std::optional<sw::MacAddr> PortVtep::resolve(unsigned pmd, uint32_t next_hop) {
  rte_spinlock_lock(&lock_);
  const NeighbourCache::Lookup l = neighbours_.lookup(next_hop, now_ms());
  rte_spinlock_unlock(&lock_);
  if (l.send_request) request(pmd, next_hop);
  if (!l.resolved) return std::nullopt;
  return l.mac;
}

void PortVtep::request(unsigned pmd, uint32_t ip) {
  rte_mbuf* m = rte_pktmbuf_alloc(pool_);
  if (m == nullptr) return;
  auto* p = reinterpret_cast<uint8_t*>(rte_pktmbuf_append(m, 60));  // minimum frame, padded
  if (p == nullptr) {
    rte_pktmbuf_free(m);
    return;
  }
  std::memset(p, 0, 60);
  std::memset(p, 0xff, 6);
  std::memcpy(p + 6, mac_.bytes.data(), 6);
  sw::store_be16(p + 12, kEthArp);
  uint8_t* a = p + 14;
  sw::store_be16(a, 1);  // Ethernet
  sw::store_be16(a + 2, kEthIpv4);
  a[4] = 6;
  a[5] = 4;
  sw::store_be16(a + 6, 1);  // request
  std::memcpy(a + 8, mac_.bytes.data(), 6);
  std::memcpy(a + 14, &local_ip_, 4);
  std::memcpy(a + 24, &ip, 4);  // target MAC stays zero
  counters_.arp_requested.fetch_add(1, std::memory_order_relaxed);
  port_->send(pmd, &m, 1);
}

PortVtep::Class PortVtep::classify(const rte_mbuf* m) const {
  if (m->data_len < 14 + 20) return Class::kPass;
  const auto* p = rte_pktmbuf_mtod(m, const uint8_t*);
  const uint16_t type = sw::load_be16(p + 12);
  if (type == kEthArp) return m->data_len >= 14 + kArpLen ? Class::kArp : Class::kPass;
  if (type != kEthIpv4) return Class::kPass;
  const uint8_t* ip = p + 14;
  if (load_u32(ip + 16) != local_ip_) return Class::kPass;
  if (ip[9] == kIpProtoGre)
    return gre_tunnels_.load(std::memory_order_relaxed) ? Class::kTunnel : Class::kPass;
  if (ip[9] != IPPROTO_UDP) return Class::kPass;
  const uint32_t ihl = (ip[0] & 0xf) * 4u;
  if (m->data_len < 14 + ihl + 8) return Class::kPass;
  const uint16_t dport = sw::load_be16(ip + ihl + 2);
  return vxlan_port_bits_[dport / 64].load(std::memory_order_relaxed) >> (dport % 64) & 1
             ? Class::kTunnel
             : Class::kPass;
}

uint16_t PortVtep::filter(unsigned pmd, rte_mbuf** pkts, uint16_t n) {
  Class cls[sw::kBurst];
  bool any = false;
  for (uint16_t i = 0; i < n; ++i) {
    cls[i] = classify(pkts[i]);
    any |= cls[i] != Class::kPass;
  }
  if (!any) return n;
  uint16_t kept = 0;
  uint64_t taken = 0, bytes = 0;
  const uint64_t now = now_ms();
  rte_mbuf* replies[sw::kBurst];
  uint16_t nreplies = 0;
  rte_spinlock_lock(&lock_);
  for (uint16_t i = 0; i < n; ++i) {
    rte_mbuf* m = pkts[i];
    const uint32_t len = m->pkt_len;
    bool took = true;
    if (cls[i] == Class::kArp) {
      const ArpAction a = handle_arp(m, now);
      if (a == ArpAction::kReply) replies[nreplies++] = m;
      took = a != ArpAction::kPass;
    } else if (cls[i] == Class::kTunnel) {
      handle_tunnel(m);
    } else {
      took = false;
    }
    if (took) {
      ++taken;
      bytes += len;
    } else {
      pkts[kept++] = m;
    }
  }
  rte_spinlock_unlock(&lock_);
  if (taken) port_->stats().add_rx(taken, bytes);
  if (nreplies) port_->send(pmd, replies, nreplies);
  return kept;
}

PortVtep::ArpAction PortVtep::handle_arp(rte_mbuf* m, uint64_t now) {
  auto* p = rte_pktmbuf_mtod(m, uint8_t*);
  uint8_t* a = p + 14;
  if (sw::load_be16(a) != 1 || sw::load_be16(a + 2) != kEthIpv4 || a[4] != 6 || a[5] != 4)
    return ArpAction::kPass;
  const uint16_t op = sw::load_be16(a + 6);
  const uint32_t spa = load_u32(a + 14), tpa = load_u32(a + 24);
  const auto sha = sw::MacAddr::from_bytes(a + 8);
  // Learn from whatever names a tracked next hop (requests, replies, gratuitous ARP).
  if (!sha.is_multicast() && !sha.is_zero() && neighbours_.learn(spa, sha, now))
    counters_.arp_learnt.fetch_add(1, std::memory_order_relaxed);
  if (tpa != local_ip_) return ArpAction::kPass;
  if (op == 1) {
    // The request becomes the reply in place.
    std::memcpy(p, a + 8, 6);
    std::memcpy(p + 6, mac_.bytes.data(), 6);
    sw::store_be16(a + 6, 2);
    std::memcpy(a + 18, a + 8, 10);  // target = the asker (MAC and address)
    std::memcpy(a + 8, mac_.bytes.data(), 6);
    std::memcpy(a + 14, &local_ip_, 4);
    m->ol_flags = 0;
    counters_.arp_replied.fetch_add(1, std::memory_order_relaxed);
    return ArpAction::kReply;
  }
  if (op == 2 && std::memcmp(p, mac_.bytes.data(), 6) == 0) {
    rte_pktmbuf_free(m);
    return ArpAction::kConsumed;
  }
  return ArpAction::kPass;
}

sw::PortStats* PortVtep::stats_for_remote(uint32_t remote) const {
  auto it = remotes_.find(remote);
  return it == remotes_.end() ? nullptr : it->second;
}

void PortVtep::handle_tunnel(rte_mbuf* m) {
  // classify() saw Ethernet + 20 bytes of IPv4 to local_ip in the first segment.
  auto* p = rte_pktmbuf_mtod(m, uint8_t*);
  const uint8_t* ip = p + 14;
  const uint32_t remote = load_u32(ip + 12);
  const uint32_t ihl = (ip[0] & 0xf) * 4u;
  const uint32_t total = sw::load_be16(ip + 2);
  auto drop = [&](sw::DropReason why) {
    (why == sw::DropReason::kNoTunnel ? counters_.no_tunnel : counters_.malformed)
        .fetch_add(1, std::memory_order_relaxed);
    if (auto* s = stats_for_remote(remote)) s->add_drop(why, 1);
    rte_pktmbuf_free(m);
  };
  // Fragments cannot be decapsulated without reassembly, which this endpoint does not do.
  const bool fragment = (sw::load_be16(ip + 6) & 0x3fff) != 0;
  if ((ip[0] >> 4) != 4 || ihl < 20 || m->data_len < 14 + ihl || total < ihl ||
      14 + total > m->pkt_len || fragment || rte_raw_cksum(ip, ihl) != 0xffff)
    return drop(sw::DropReason::kTunnelMalformed);
  rte_pktmbuf_trim(m, static_cast<uint16_t>(m->pkt_len - 14 - total));  // Ethernet padding
  uint32_t key = 0;
  const std::unordered_map<uint64_t, Flow>* flows = &gre_flows_;
  DecapStatus st;
  if (ip[9] == IPPROTO_UDP) {
    if (total < ihl + kUdpHeaderLen || sw::load_be16(ip + ihl + 4) != total - ihl)
      return drop(sw::DropReason::kTunnelMalformed);
    auto f = vxlan_flows_.find(sw::load_be16(ip + ihl + 2));
    if (f == vxlan_flows_.end()) return drop(sw::DropReason::kNoTunnel);
    flows = &f->second;
    rte_pktmbuf_adj(m, static_cast<uint16_t>(14 + ihl + kUdpHeaderLen));
    st = TunnelReceiver::decap(TunnelKind::kVxlan, m, key);
  } else {
    rte_pktmbuf_adj(m, 14);
    st = TunnelReceiver::decap(TunnelKind::kGre, m, key);
  }
  if (st != DecapStatus::kOk) return drop(sw::DropReason::kTunnelMalformed);
  auto it = flows->find(flow_key(remote, key));
  if (it == flows->end()) return drop(sw::DropReason::kNoTunnel);
  // The outer frame's offload state says nothing about the inner one.
  m->ol_flags = 0;
  m->packet_type = 0;
  if (rte_ring_mp_enqueue(it->second.ring, m) != 0) {
    counters_.ring_full.fetch_add(1, std::memory_order_relaxed);
    it->second.stats->add_drop(sw::DropReason::kNoBuffer, 1);
    rte_pktmbuf_free(m);
    return;
  }
  counters_.rx_tunnel.fetch_add(1, std::memory_order_relaxed);
}

VtepCounters PortVtep::counters() const {
  VtepCounters c;
  c.rx_tunnel = counters_.rx_tunnel.load(std::memory_order_relaxed);
  c.malformed = counters_.malformed.load(std::memory_order_relaxed);
  c.no_tunnel = counters_.no_tunnel.load(std::memory_order_relaxed);
  c.arp_replied = counters_.arp_replied.load(std::memory_order_relaxed);
  c.arp_requested = counters_.arp_requested.load(std::memory_order_relaxed);
  c.arp_learnt = counters_.arp_learnt.load(std::memory_order_relaxed);
  c.ring_full = counters_.ring_full.load(std::memory_order_relaxed);
  return c;
}

}  // namespace lvs::tunnels
