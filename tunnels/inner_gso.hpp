#pragma once
// Segmentation and checksums of inner frames, before encapsulation.
//
// The kernel socket that carries tunnel packets cannot segment or checksum what is inside them,
// so frames carrying TX offload metadata (from the AF_PACKET / tap virtio-net headers, see
// ports/vnet_header.hpp) are finished here:
//   RTE_MBUF_F_TX_TCP_SEG / UDP_SEG: cut into tso_segsz pieces, each with its own copy of the
//     L2-L4 headers (IPv4 total length, id + i, header checksum; IPv6 payload length; TCP seq,
//     FIN/PSH on the last piece only, CWR on the first only; UDP length) and a full L4 checksum;
//   RTE_MBUF_F_TX_TCP_CKSUM / UDP_CKSUM: the L4 checksum computed (the field holds only the
//     pseudo-header sum, DPDK's and virtio's convention);
//   RTE_MBUF_F_TX_IP_CKSUM: the IPv4 header checksum.
// Not one payload byte is copied or written: a segment is (rewritten headers, byte range of the
// frame), which the caller turns into an iovec. Frames shared by a flood (indirect clones) stay
// intact for the other ports.
#include <rte_ip.h>
#include <rte_mbuf.h>

#include <algorithm>
#include <cstdint>
#include <cstring>

#include "ports/segment_headers.hpp"
#include "tunnels/mbuf_cursor.hpp"

namespace lvs::tunnels {

inline constexpr uint16_t kMaxInnerHeader = 192;

struct InnerSegment {
  const uint8_t* hdr = nullptr;  // rewritten L2-L4 headers; nullptr: none, the range is the frame
  uint16_t hdr_len = 0;
  uint32_t off = 0;  // then bytes [off, off + len) of the frame
  uint32_t len = 0;
  MbufCursor at{};  // where byte `off` lies (seg nullptr: not known, find it from the head)
};

enum class GsoResult : uint8_t { kOk, kMalformed };

using ports::csum_fold32;


// Whether `m` carries offload work (segmentation, a checksum) to finish before encapsulation;
// when not, it is one piece, the frame as it is.
inline bool needs_finishing(const rte_mbuf* m) {
  constexpr uint64_t kSeg = RTE_MBUF_F_TX_TCP_SEG | RTE_MBUF_F_TX_UDP_SEG;
  const uint64_t fl = m->ol_flags;
  const uint64_t l4_flag = fl & RTE_MBUF_F_TX_L4_MASK;
  return (fl & (kSeg | RTE_MBUF_F_TX_IP_CKSUM)) || l4_flag == RTE_MBUF_F_TX_TCP_CKSUM ||
         l4_flag == RTE_MBUF_F_TX_UDP_CKSUM;
}

// Calls emit(const InnerSegment&) once per piece of `m` the underlay can carry as it is.
template <class Emit>
inline GsoResult for_each_inner_segment(const rte_mbuf* m, Emit&& emit) {
  constexpr uint64_t kSeg = RTE_MBUF_F_TX_TCP_SEG | RTE_MBUF_F_TX_UDP_SEG;
  const uint64_t fl = m->ol_flags;
  const uint64_t l4_flag = fl & RTE_MBUF_F_TX_L4_MASK;
  if (__builtin_expect(!needs_finishing(m), 1)) {
    emit(InnerSegment{nullptr, 0, 0, m->pkt_len, MbufCursor{m, 0}});
    return GsoResult::kOk;
  }
  const bool v4 = fl & RTE_MBUF_F_TX_IPV4;
  const bool v6 = fl & RTE_MBUF_F_TX_IPV6;
  const bool tcp = (fl & RTE_MBUF_F_TX_TCP_SEG) || l4_flag == RTE_MBUF_F_TX_TCP_CKSUM;
  const bool udp = !tcp && ((fl & RTE_MBUF_F_TX_UDP_SEG) || l4_flag == RTE_MBUF_F_TX_UDP_CKSUM);
  const bool l4_csum = tcp || udp;
  const uint32_t l2 = m->l2_len, l3 = m->l3_len;
  if (v4 == v6 || l2 < 14 || l3 < (v4 ? 20u : 40u)) return GsoResult::kMalformed;

  uint8_t hdr[kMaxInnerHeader];
  auto read = [&](uint32_t len) {
    const void* p = rte_pktmbuf_read(m, 0, len, hdr);
    if (p == nullptr) return false;
    if (p != hdr) std::memcpy(hdr, p, len);
    return true;
  };
  uint32_t l4 = tcp ? 20 : udp ? 8 : 0;
  if (l2 + l3 + l4 > std::min<uint32_t>(m->pkt_len, kMaxInnerHeader) || !read(l2 + l3 + l4))
    return GsoResult::kMalformed;
  if (tcp) {
    l4 = (hdr[l2 + l3 + 12] >> 4) * 4u;
    if (l4 < 20 || l2 + l3 + l4 > std::min<uint32_t>(m->pkt_len, kMaxInnerHeader) ||
        !read(l2 + l3 + l4))
      return GsoResult::kMalformed;
  }
  const uint32_t hl = l2 + l3 + l4;
  const uint32_t payload = m->pkt_len - hl;
  const bool seg = (fl & kSeg) && l4_csum;
  if (seg && m->tso_segsz == 0) return GsoResult::kMalformed;
  const uint32_t step = seg && payload > m->tso_segsz ? m->tso_segsz : std::max<uint32_t>(payload, 1);
  const uint32_t nseg = payload == 0 ? 1 : (payload + step - 1) / step;
  const uint16_t id0 = ports::load_be16(hdr + l2 + 4);
  uint32_t seq0 = 0;
  uint8_t tcp_flags = 0;
  if (tcp) {
    std::memcpy(&seq0, hdr + l2 + l3 + 4, 4);
    seq0 = rte_be_to_cpu_32(seq0);
    tcp_flags = hdr[l2 + l3 + 13];
  }
  uint8_t out[kMaxInnerHeader];
  MbufCursor cur = MbufCursor::at(m, hl);  // the pieces' payloads follow each other
  for (uint32_t i = 0; i < nseg; ++i) {
    const uint32_t off = hl + i * step;
    const uint32_t len = std::min(step, payload - i * step);
    std::memcpy(out, hdr, hl);
    uint8_t* ip = out + l2;
    uint8_t* l4p = ip + l3;
    ports::rewrite_segment_headers(
        out, l2, l3, l4, v4, tcp, udp, tcp_flags,
        {len, nseg > 1, static_cast<uint16_t>(id0 + i), seq0 + i * step, i == 0, i + 1 == nseg});
    cur.settle();
    const MbufCursor start = cur;
    if (l4_csum) {
      uint8_t* field = l4p + (tcp ? 16 : 6);
      field[0] = field[1] = 0;
      uint32_t sum = ports::pseudo_sum(ip, v4, tcp ? 6 : 17, l4 + len);
      sum += rte_raw_cksum(l4p, l4);
      uint16_t pay = 0;
      if (len > 0 && !cur.sum(len, pay)) return GsoResult::kMalformed;
      sum += pay;
      uint16_t c = static_cast<uint16_t>(~csum_fold32(sum));
      if (udp && c == 0) c = 0xffff;
      std::memcpy(field, &c, 2);
    }
    if (!l4_csum) cur = MbufCursor::at(m, off + len);  // (no sum moved it)
    emit(InnerSegment{out, static_cast<uint16_t>(hl), off, len, start});
  }
  return GsoResult::kOk;
}

}  // namespace lvs::tunnels
