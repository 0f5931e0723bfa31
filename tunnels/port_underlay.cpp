#include "tunnels/port_underlay.hpp"

#include <netinet/in.h>
#include <rte_ip.h>

#include <cstring>

#include "tunnels/gre_header.hpp"
#include "tunnels/route_lookup.hpp"

namespace lvs::tunnels {
namespace {

constexpr uint32_t kEthLen = 14;
constexpr uint32_t kIpLen = 20;

// Outer Ethernet (prebuilt `eth`) + IPv4 header at p.
inline void write_outer(uint8_t* p, const uint8_t* eth, const TunnelConfig& c, uint8_t proto,
                        uint32_t ip_len, uint16_t id, const PieceMeta& meta) {
  std::memcpy(p, eth, kEthLen);
  uint8_t* ip = p + kEthLen;
  ip[0] = 0x45;
  ip[1] = meta.tos;
  sw::store_be16(ip + 2, static_cast<uint16_t>(ip_len));
  sw::store_be16(ip + 4, id);
  sw::store_be16(ip + 6, c.df ? 0x4000 : 0);
  ip[8] = meta.ttl;
  ip[9] = proto;
  ip[10] = ip[11] = 0;
  std::memcpy(ip + 12, &c.local_ip, 4);
  std::memcpy(ip + 16, &c.remote_ip, 4);
  const uint16_t sum = static_cast<uint16_t>(~csum_fold32(rte_raw_cksum(ip, kIpLen)));
  std::memcpy(ip + 10, &sum, 2);
}

// A frame of ours alone with only checksums to finish (no segmentation): its one piece's
// rewritten headers written over its own, so that it can be encapsulated in place. False (and
// the frame untouched) when it is to be cut, or its headers are not in its first segment.
bool finish_in_place(rte_mbuf* m) {
  if (m->ol_flags & (RTE_MBUF_F_TX_TCP_SEG | RTE_MBUF_F_TX_UDP_SEG)) return false;
  bool done = false;
  const GsoResult r = for_each_inner_segment(m, [&](const InnerSegment& s) {
    if (done || s.off != s.hdr_len || s.off + s.len != m->pkt_len || s.hdr_len > m->data_len)
      return;
    std::memcpy(rte_pktmbuf_mtod(m, uint8_t*), s.hdr, s.hdr_len);
    done = true;
  });
  return r == GsoResult::kOk && done;
}

}  // namespace

std::unique_ptr<PortUnderlay> PortUnderlay::open(const TunnelConfig& config,
                                                 std::shared_ptr<sw::Port> underlay_port,
                                                 rte_ring* ring, sw::PortStats& stats,
                                                 rte_mempool* pool, std::string& error) {
  if (config.ipv6) {
    error = "options:underlay=port carries an IPv4 underlay only";
    return nullptr;
  }
  if (config.local_ip == 0) {
    error = "options:underlay=port needs options:local_ip";
    return nullptr;
  }
  const auto route = lookup_route(config.remote_ip, error);
  if (!route) return nullptr;
  auto monitor = RouteMonitor::acquire(error);
  if (!monitor) return nullptr;
  auto vtep = PortVtep::acquire(std::move(underlay_port), config.local_ip, pool, error);
  if (!vtep) return nullptr;
  std::unique_ptr<PortUnderlay> u(new PortUnderlay(config, vtep, stats, pool));
  const uint16_t dport = config.kind == TunnelKind::kVxlan ? config.dst_port : uint16_t{0};
  if (!vtep->attach(config.kind, dport, config.remote_ip, config.in_key, ring, &stats, error))
    return nullptr;
  u->attached_ = true;
  {
    std::lock_guard lock(u->route_mutex_);
    u->set_next_hop(route->next_hop);
  }
  if (u->next_hop() == 0) {
    error = "too many next hops on underlay port " + vtep->port().name();
    return nullptr;
  }
  vtep->request(0, route->next_hop);  // resolve before the first frame needs it
  u->underlay_mtu_.store(vtep->port().status().mtu);
  PortUnderlay* raw = u.get();
  u->watch_id_ = monitor->watch([raw] { raw->refresh_route(); });
  u->monitor_ = std::move(monitor);
  return u;
}

PortUnderlay::PortUnderlay(const TunnelConfig& config, std::shared_ptr<PortVtep> vtep,
                           sw::PortStats& stats, rte_mempool* pool)
    : encap_(config), vtep_(std::move(vtep)), stats_(stats), pool_(pool) {
  for (unsigned i = 0; i < kIdCounters; ++i) ip_ids_[i].next = static_cast<uint16_t>(i << 10);
}

PortUnderlay::~PortUnderlay() {
  if (monitor_) monitor_->unwatch(watch_id_);  // no refresh runs from here on
  const TunnelConfig& c = encap_.config();
  if (attached_)
    vtep_->detach(c.kind, c.kind == TunnelKind::kVxlan ? c.dst_port : uint16_t{0}, c.remote_ip,
                  c.in_key);
  if (const uint32_t hop = next_hop()) vtep_->untrack(hop);
}

void PortUnderlay::set_next_hop(uint32_t hop) const {
  const uint32_t old = next_hop();
  if (hop == old) return;
  if (!vtep_->track(hop)) return;  // table full: keep the old one
  next_hop_.store(hop, std::memory_order_relaxed);
  if (old) vtep_->untrack(old);
}

std::string PortUnderlay::refresh_route() const {
  std::string error;
  const auto route = lookup_route(encap_.config().remote_ip, error);
  if (!route) return error;  // keep the last next hop: the route may come back
  std::lock_guard lock(route_mutex_);
  const uint32_t old = next_hop();
  set_next_hop(route->next_hop);
  if (next_hop() != old) vtep_->request(0, next_hop());  // resolve it before frames need it
  return {};
}

template <class Emit>
void PortUnderlay::encap_burst(unsigned pmd, rte_mbuf** pkts, uint16_t n, Emit&& emit) {
  const TunnelConfig& c = encap_.config();
  const auto mac = vtep_->resolve(pmd, next_hop());
  if (!mac) {
    stats_.add_drop(sw::DropReason::kNoNeighbour, n);
    rte_pktmbuf_free_bulk(pkts, n);
    return;
  }
  // The outer Ethernet header, once per burst.
  uint8_t eth[kEthLen];
  std::memcpy(eth, mac->bytes.data(), 6);
  std::memcpy(eth + 6, vtep_->mac().bytes.data(), 6);
  sw::store_be16(eth + 12, 0x0800);
  const uint32_t mtu = underlay_mtu_.load(std::memory_order_relaxed);
  const uint8_t proto = c.kind == TunnelKind::kVxlan ? uint8_t{IPPROTO_UDP} : kIpProtoGre;
  const uint32_t outer_room = kEthLen + kIpLen + encap_.header_len();
  uint16_t& ip_id = ip_ids_[pmd % kIdCounters].next;

  uint64_t too_big = 0, no_buffer = 0, malformed = 0;
  alignas(8) uint8_t hdr[TunnelEncap::kHeaderRoom];
  iovec iov[TunnelEncap::kMaxIov];
  for (uint16_t i = 0; i < n; ++i) {
    rte_mbuf* m = pkts[i];
    const PieceMeta meta = piece_meta(c, m);
    bool in_place =
        RTE_MBUF_DIRECT(m) && rte_mbuf_refcnt_read(m) == 1 && rte_pktmbuf_headroom(m) >= outer_room;
    if (in_place && needs_finishing(m)) in_place = finish_in_place(m);
    if (__builtin_expect(in_place, 1)) {
      // Whole and ours alone: the outer headers go into its headroom.
      const unsigned iovs =
          encap_.build(m, InnerSegment{nullptr, 0, 0, m->pkt_len, MbufCursor{m, 0}}, meta.src_port,
                       hdr, iov);
      const uint32_t ip_len = kIpLen + static_cast<uint32_t>(iov[0].iov_len) + m->pkt_len;
      if (__builtin_expect(iovs == 0 || ip_len > mtu, 0)) {
        ++(iovs == 0 ? malformed : too_big);
        rte_pktmbuf_free(m);
        continue;
      }
      auto* p =
          reinterpret_cast<uint8_t*>(rte_pktmbuf_prepend(m, static_cast<uint16_t>(outer_room)));
      write_outer(p, eth, c, proto, ip_len, ip_id++, meta);
      std::memcpy(p + kEthLen + kIpLen, hdr, iov[0].iov_len);
      m->ol_flags = 0;  // nothing of the inner frame's offload state applies to the outer one
      m->packet_type = 0;
      emit(m);
      continue;
    }
    const GsoResult r = for_each_inner_segment(m, [&](const InnerSegment& s) {
      const unsigned iovs = encap_.build(m, s, meta.src_port, hdr, iov);
      if (__builtin_expect(iovs == 0, 0)) {
        ++malformed;
        return;
      }
      uint32_t ip_len = kIpLen;
      for (unsigned k = 0; k < iovs; ++k) ip_len += static_cast<uint32_t>(iov[k].iov_len);
      if (__builtin_expect(ip_len > mtu, 0)) {
        ++too_big;
        return;
      }
      rte_mbuf* o = rte_pktmbuf_alloc(pool_);
      uint8_t* p =
          o ? reinterpret_cast<uint8_t*>(rte_pktmbuf_append(o, kEthLen + ip_len)) : nullptr;
      if (__builtin_expect(p == nullptr, 0)) {
        if (o) rte_pktmbuf_free(o);
        ++no_buffer;
        return;
      }
      write_outer(p, eth, c, proto, ip_len, ip_id++, meta);
      uint8_t* w = p + kEthLen + kIpLen;
      for (unsigned k = 0; k < iovs; ++k) {
        std::memcpy(w, iov[k].iov_base, iov[k].iov_len);
        w += iov[k].iov_len;
      }
      emit(o);
    });
    if (__builtin_expect(r != GsoResult::kOk, 0)) ++malformed;
    rte_pktmbuf_free(m);  // copied
  }
  if (too_big) stats_.add_drop(sw::DropReason::kTooBig, too_big);
  if (no_buffer) stats_.add_drop(sw::DropReason::kNoBuffer, no_buffer);
  if (malformed) stats_.add_drop(sw::DropReason::kMalformed, malformed);
}

void PortUnderlay::encapsulate(unsigned pmd, rte_mbuf** pkts, uint16_t n, sw::TxOutput& out) {
  encap_burst(pmd, pkts, n, [&](rte_mbuf* o) { out.push(o); });
}

void PortUnderlay::transmit(unsigned pmd, rte_mbuf** pkts, uint16_t n) {
  // Outside the PMD's batches: straight to the underlay port, per 32 outer frames.
  rte_mbuf* out[sw::kBurst];
  uint16_t k = 0;
  sw::Port& port = vtep_->port();
  encap_burst(pmd, pkts, n, [&](rte_mbuf* o) {
    out[k++] = o;
    if (k == sw::kBurst) {
      port.send(pmd, out, k);
      k = 0;
    }
  });
  if (k) port.send(pmd, out, k);
}

sw::PortStatus PortUnderlay::status() const {
  const TunnelConfig& c = encap_.config();
  const sw::PortStatus under = vtep_->port().status();
  sw::PortStatus st;
  underlay_mtu_.store(under.mtu, std::memory_order_relaxed);
  st.link_up = under.link_up;
  st.mtu = under.mtu > tunnel_overhead(c) + kEthLen ? under.mtu - tunnel_overhead(c) - kEthLen : 0;
  st.error = refresh_route();
  if (!under.error.empty()) st.error = "underlay port " + vtep_->port().name() + ": " + under.error;
  return st;
}

}  // namespace lvs::tunnels
