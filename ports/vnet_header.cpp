#include "ports/vnet_header.hpp"

#include <rte_ip.h>
#include <rte_tcp.h>

#include <cstring>

namespace lvs::ports {
namespace {

constexpr uint16_t kEtherIpv4 = 0x0800;
constexpr uint16_t kEtherIpv6 = 0x86dd;
constexpr uint16_t kTcpCsumOffset = 16;
constexpr uint16_t kUdpCsumOffset = 6;
constexpr uint16_t kUdpHeaderLen = 8;
constexpr uint8_t kTcpFlagCwr = 0x80;
constexpr uint64_t kTxOffloads = RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IPV6 | RTE_MBUF_F_TX_IP_CKSUM |
                                 RTE_MBUF_F_TX_L4_MASK | RTE_MBUF_F_TX_TCP_SEG |
                                 RTE_MBUF_F_TX_UDP_SEG;

inline uint16_t load_be16(const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }

// Finishes a CHECKSUM_PARTIAL checksum: the field at `start + offset` holds the pseudo-header sum
// and everything from `start` to the end of the frame is summed over it.
bool finish_checksum(rte_mbuf* m, uint16_t start, uint16_t offset) {
  if (start + offset + 2u > m->data_len || start > rte_pktmbuf_pkt_len(m)) return false;
  uint16_t sum = 0;
  if (rte_raw_cksum_mbuf(m, start, rte_pktmbuf_pkt_len(m) - start, &sum) != 0) return false;
  const uint16_t folded = static_cast<uint16_t>(~sum);
  std::memcpy(rte_pktmbuf_mtod_offset(m, uint8_t*, start + offset), &folded, sizeof(folded));
  return true;
}

}  // namespace

uint16_t ethernet_header_len(const rte_mbuf* m, uint16_t& ether_type) {
  const uint8_t* p = rte_pktmbuf_mtod(m, const uint8_t*);
  uint16_t off = 12;
  for (;;) {
    if (off + 2u > m->data_len) return 0;
    ether_type = load_be16(p + off);
    if (ether_type != 0x8100 && ether_type != 0x88a8 && ether_type != 0x9100) break;
    off = static_cast<uint16_t>(off + 4);
  }
  return static_cast<uint16_t>(off + 2);
}

VnetRx vnet_to_mbuf(const VnetHeader& h, rte_mbuf* m) {
  m->ol_flags &= ~kTxOffloads;
  if (h.flags & kVnetDataValid) m->ol_flags |= RTE_MBUF_F_RX_L4_CKSUM_GOOD;
  const uint8_t gso = h.gso_type & static_cast<uint8_t>(~kVnetGsoEcn);
  if (!(h.flags & kVnetNeedsCsum)) return gso == kVnetGsoNone ? VnetRx::kPlain : VnetRx::kInvalid;

  uint16_t ether_type = 0;
  const uint16_t l2 = ethernet_header_len(m, ether_type);
  const uint16_t start = h.csum_start, offset = h.csum_offset;
  if (l2 == 0 || start <= l2 || start + offset + 2u > m->data_len) return VnetRx::kInvalid;
  const bool v4 = ether_type == kEtherIpv4, v6 = ether_type == kEtherIpv6;
  const uint8_t* l4 = rte_pktmbuf_mtod_offset(m, const uint8_t*, start);

  if (gso == kVnetGsoTcpV4 || gso == kVnetGsoTcpV6) {
    const bool family_ok = gso == kVnetGsoTcpV4 ? v4 : v6;
    if (!family_ok || offset != kTcpCsumOffset || h.gso_size == 0 ||
        start + sizeof(rte_tcp_hdr) > m->data_len)
      return VnetRx::kInvalid;
    const uint16_t l4_len = static_cast<uint16_t>((l4[12] >> 4) * 4);
    if (l4_len < sizeof(rte_tcp_hdr) || start + l4_len > m->data_len) return VnetRx::kInvalid;
    m->ol_flags |= RTE_MBUF_F_TX_TCP_SEG | RTE_MBUF_F_TX_TCP_CKSUM |
                   (v4 ? RTE_MBUF_F_TX_IPV4 : RTE_MBUF_F_TX_IPV6);
    m->l2_len = l2;
    m->l3_len = start - l2;
    m->l4_len = l4_len;
    m->tso_segsz = h.gso_size;
    return VnetRx::kGso;
  }
  if (gso == kVnetGsoUdpL4) {
    if (!(v4 || v6) || offset != kUdpCsumOffset || h.gso_size == 0) return VnetRx::kInvalid;
    m->ol_flags |= RTE_MBUF_F_TX_UDP_SEG | RTE_MBUF_F_TX_UDP_CKSUM |
                   (v4 ? RTE_MBUF_F_TX_IPV4 : RTE_MBUF_F_TX_IPV6);
    m->l2_len = l2;
    m->l3_len = start - l2;
    m->l4_len = kUdpHeaderLen;
    m->tso_segsz = h.gso_size;
    return VnetRx::kGso;
  }
  if (gso != kVnetGsoNone) return VnetRx::kInvalid;  // legacy UFO: never sent today

  if ((v4 || v6) && offset == kTcpCsumOffset && start + sizeof(rte_tcp_hdr) <= m->data_len) {
    m->ol_flags |= RTE_MBUF_F_TX_TCP_CKSUM | (v4 ? RTE_MBUF_F_TX_IPV4 : RTE_MBUF_F_TX_IPV6);
    m->l2_len = l2;
    m->l3_len = start - l2;
    m->l4_len = static_cast<uint16_t>((l4[12] >> 4) * 4);
    return VnetRx::kCsum;
  }
  if ((v4 || v6) && offset == kUdpCsumOffset) {
    m->ol_flags |= RTE_MBUF_F_TX_UDP_CKSUM | (v4 ? RTE_MBUF_F_TX_IPV4 : RTE_MBUF_F_TX_IPV6);
    m->l2_len = l2;
    m->l3_len = start - l2;
    m->l4_len = kUdpHeaderLen;
    return VnetRx::kCsum;
  }
  // No mbuf flag says "checksum at this offset": finish it now (rare: e.g. ICMPv6, GRE).
  return finish_checksum(m, start, offset) ? VnetRx::kPlain : VnetRx::kInvalid;
}

void mbuf_to_vnet(rte_mbuf* m, VnetHeader& h) {
  std::memset(&h, 0, sizeof(h));
  const uint64_t f = m->ol_flags;
  if (__builtin_expect(!(f & kTxOffloads), 1)) return;
  const uint16_t start = static_cast<uint16_t>(m->l2_len + m->l3_len);

  if ((f & RTE_MBUF_F_TX_IP_CKSUM) && m->l2_len + sizeof(rte_ipv4_hdr) <= m->data_len) {
    auto* ip = rte_pktmbuf_mtod_offset(m, rte_ipv4_hdr*, m->l2_len);
    ip->hdr_checksum = 0;
    ip->hdr_checksum = rte_ipv4_cksum(ip);
  }
  if (f & RTE_MBUF_F_TX_TCP_SEG) {
    h.gso_type = (f & RTE_MBUF_F_TX_IPV6) ? kVnetGsoTcpV6 : kVnetGsoTcpV4;
    if (start + sizeof(rte_tcp_hdr) <= m->data_len &&
        (rte_pktmbuf_mtod_offset(m, const uint8_t*, start)[13] & kTcpFlagCwr))
      h.gso_type |= kVnetGsoEcn;
    h.gso_size = m->tso_segsz;
    h.hdr_len = static_cast<uint16_t>(start + m->l4_len);
    h.flags = kVnetNeedsCsum;
    h.csum_start = start;
    h.csum_offset = kTcpCsumOffset;
    return;
  }
  if (f & RTE_MBUF_F_TX_UDP_SEG) {
    h.gso_type = kVnetGsoUdpL4;
    h.gso_size = m->tso_segsz;
    h.hdr_len = static_cast<uint16_t>(start + kUdpHeaderLen);
    h.flags = kVnetNeedsCsum;
    h.csum_start = start;
    h.csum_offset = kUdpCsumOffset;
    return;
  }
  switch (f & RTE_MBUF_F_TX_L4_MASK) {
    case RTE_MBUF_F_TX_TCP_CKSUM:
      h.flags = kVnetNeedsCsum;
      h.csum_start = start;
      h.csum_offset = kTcpCsumOffset;
      break;
    case RTE_MBUF_F_TX_UDP_CKSUM:
      h.flags = kVnetNeedsCsum;
      h.csum_start = start;
      h.csum_offset = kUdpCsumOffset;
      break;
    default:  // SCTP's CRC32c has no virtio form; nothing on our receive side produces it
      break;
  }
}

}  // namespace lvs::ports
