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

}  // namespace

std::unique_ptr<PortUnderlay> PortUnderlay::open(const TunnelConfig& config,
                                                 std::shared_ptr<sw::Port> underlay_port,
                                                 rte_ring* ring, sw::PortStats& stats,
                                                 rte_mempool* pool, std::string& error) {
  if (config.local_ip == 0) {
    error = "options:underlay=port needs options:local_ip";
    return nullptr;
  }
  const auto route = lookup_route(config.remote_ip, error);
  if (!route) return nullptr;
  auto vtep = PortVtep::acquire(std::move(underlay_port), config.local_ip, pool, error);
  if (!vtep) return nullptr;
  std::unique_ptr<PortUnderlay> u(new PortUnderlay(config, vtep, stats, pool));
  const uint16_t dport = config.kind == TunnelKind::kVxlan ? config.dst_port : uint16_t{0};
  if (!vtep->attach(config.kind, dport, config.remote_ip, config.in_key, ring, &stats, error))
    return nullptr;
  u->attached_ = true;
  u->set_next_hop(route->next_hop);
  if (u->next_hop() == 0) {
    error = "too many next hops on underlay port " + vtep->port().name();
    return nullptr;
  }
  vtep->request(0, route->next_hop);  // resolve before the first frame needs it
  u->underlay_mtu_.store(vtep->port().status().mtu);
  return u;
}

PortUnderlay::PortUnderlay(const TunnelConfig& config, std::shared_ptr<PortVtep> vtep,
                           sw::PortStats& stats, rte_mempool* pool)
    : encap_(config), vtep_(std::move(vtep)), stats_(stats), pool_(pool) {}

PortUnderlay::~PortUnderlay() {
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

void PortUnderlay::transmit(unsigned pmd, rte_mbuf** pkts, uint16_t n) {
  const TunnelConfig& c = encap_.config();
  const auto mac = vtep_->resolve(pmd, next_hop());
  if (!mac) {
    stats_.add_drop(sw::DropReason::kNoNeighbour, n);
    rte_pktmbuf_free_bulk(pkts, n);
    return;
  }
  // The outer Ethernet header and the fixed part of the IPv4 header, once per burst.
  uint8_t eth[kEthLen];
  std::memcpy(eth, mac->bytes.data(), 6);
  std::memcpy(eth + 6, vtep_->mac().bytes.data(), 6);
  sw::store_be16(eth + 12, 0x0800);
  const uint32_t mtu = underlay_mtu_.load(std::memory_order_relaxed);
  const uint8_t proto = c.kind == TunnelKind::kVxlan ? uint8_t{IPPROTO_UDP} : kIpProtoGre;

  rte_mbuf* out[sw::kBurst];
  uint16_t k = 0;
  uint64_t too_big = 0, no_buffer = 0, malformed = 0;
  alignas(8) uint8_t hdr[TunnelEncap::kHeaderRoom];
  iovec iov[TunnelEncap::kMaxIov];
  sw::Port& port = vtep_->port();
  malformed =
      for_each_piece(c, pkts, n, [&](const rte_mbuf* m, const InnerSegment& s, PieceMeta meta) {
        const unsigned iovs = encap_.build(m, s, meta.src_port, hdr, iov);
        if (__builtin_expect(iovs == 0, 0)) {
          ++malformed;
          return;
        }
        uint32_t ip_len = kIpLen;
        for (unsigned i = 0; i < iovs; ++i) ip_len += static_cast<uint32_t>(iov[i].iov_len);
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
        std::memcpy(p, eth, kEthLen);
        uint8_t* ip = p + kEthLen;
        ip[0] = 0x45;
        ip[1] = meta.tos;
        sw::store_be16(ip + 2, static_cast<uint16_t>(ip_len));
        sw::store_be16(ip + 4, ip_id_++);
        sw::store_be16(ip + 6, c.df ? 0x4000 : 0);
        ip[8] = meta.ttl;
        ip[9] = proto;
        ip[10] = ip[11] = 0;
        std::memcpy(ip + 12, &c.local_ip, 4);
        std::memcpy(ip + 16, &c.remote_ip, 4);
        const uint16_t sum = static_cast<uint16_t>(~csum_fold32(rte_raw_cksum(ip, kIpLen)));
        std::memcpy(ip + 10, &sum, 2);
        uint8_t* w = ip + kIpLen;
        for (unsigned i = 0; i < iovs; ++i) {
          std::memcpy(w, iov[i].iov_base, iov[i].iov_len);
          w += iov[i].iov_len;
        }
        out[k++] = o;
        if (k == sw::kBurst) {
          port.send(pmd, out, k);
          k = 0;
        }
      });
  if (k) port.send(pmd, out, k);
  rte_pktmbuf_free_bulk(pkts, n);  // copied
  if (too_big) stats_.add_drop(sw::DropReason::kTooBig, too_big);
  if (no_buffer) stats_.add_drop(sw::DropReason::kNoBuffer, no_buffer);
  if (malformed) stats_.add_drop(sw::DropReason::kMalformed, malformed);
}

sw::PortStatus PortUnderlay::status() const {
  const TunnelConfig& c = encap_.config();
  const sw::PortStatus under = vtep_->port().status();
  sw::PortStatus st;
  underlay_mtu_.store(under.mtu, std::memory_order_relaxed);
  st.link_up = under.link_up;
  st.mtu = under.mtu > tunnel_overhead(c) + kEthLen ? under.mtu - tunnel_overhead(c) - kEthLen : 0;
  std::string error;
  if (auto route = lookup_route(c.remote_ip, error))  // routes change: follow them
    set_next_hop(route->next_hop);
  else
    st.error = error;
  if (!under.error.empty()) st.error = "underlay port " + vtep_->port().name() + ": " + under.error;
  return st;
}

}  // namespace lvs::tunnels
