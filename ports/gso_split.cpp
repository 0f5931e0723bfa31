#include "ports/gso_split.hpp"

#include <algorithm>
#include <cstring>

#include "ports/kernel_frame.hpp"
#include "ports/segment_headers.hpp"

namespace lvs::ports {
namespace {

constexpr uint32_t kMaxIpLen = 65535;
constexpr uint32_t kIpv6Len = 40, kJumboHbhLen = 8;
constexpr uint8_t kIpProtoTcp = 6, kIpv6Hbh = 0, kJumboOption = 0xc2;

// Bytes of IPv6 jumbo header to drop from the IPv6 header at `ip` (`l3` bytes with its
// extension headers, `ip_bytes` of IP in all), or -1 when it is no frame to cut. Over 64 KiB the
// payload length is 0 (RFC 2675) and the kernel puts either its hop-by-hop jumbo header alone
// (next header TCP, one jumbo option giving the length: what 6.18 gives an AF_PACKET socket)
// or, as newer kernels do, nothing there (straight TCP). A real payload length (a frame just over
// 64 KiB with Ethernet) must match the frame's; any other extension header or option, or a length
// that lies, is refused.
int ipv6_jumbo_bytes(const uint8_t* ip, uint32_t l3, uint32_t ip_bytes) {
  const uint32_t payload_len = load_be16(ip + 4);
  if (payload_len != 0) return payload_len == ip_bytes - kIpv6Len ? 0 : -1;
  if (ip[6] == kIpProtoTcp) return l3 == kIpv6Len ? 0 : -1;
  if (ip[6] != kIpv6Hbh || l3 != kIpv6Len + kJumboHbhLen) return -1;
  const uint8_t* hbh = ip + kIpv6Len;
  const uint32_t jumbo = uint32_t{load_be16(hbh + 4)} << 16 | load_be16(hbh + 6);
  const bool ok = hbh[0] == kIpProtoTcp && hbh[1] == 0 && hbh[2] == kJumboOption && hbh[3] == 4 &&
                  jumbo == ip_bytes - kIpv6Len;
  return ok ? static_cast<int>(kJumboHbhLen) : -1;
}

// Appends to `h` indirect mbufs over bytes [off, off + len) of the chain starting at `seg`,
// whose first byte is frame offset `seg_start`; advances (seg, seg_start) past what it used.
bool attach_range(rte_mbuf* h, rte_mempool* pool, rte_mbuf*& seg, uint32_t& seg_start, uint32_t off,
                  uint32_t len) {
  rte_mbuf* tail = rte_pktmbuf_lastseg(h);
  while (len > 0) {
    while (seg != nullptr && off >= seg_start + seg->data_len) {
      seg_start += seg->data_len;
      seg = seg->next;
    }
    if (seg == nullptr) return false;
    const uint32_t in = off - seg_start;
    const uint32_t take = std::min(len, seg->data_len - in);
    rte_mbuf* mi = rte_pktmbuf_alloc(pool);
    if (mi == nullptr) return false;
    rte_pktmbuf_attach(mi, seg);  // mi takes seg's data_off / data_len
    mi->data_off = static_cast<uint16_t>(mi->data_off + in);
    mi->data_len = static_cast<uint16_t>(take);
    mi->pkt_len = take;
    tail->next = mi;
    tail = mi;
    ++h->nb_segs;
    h->pkt_len += take;
    off += take;
    len -= take;
  }
  return true;
}

}  // namespace

unsigned split_big_gso(rte_mbuf* m, rte_mempool* pool, rte_mbuf** out, unsigned max) {
  const uint64_t fl = m->ol_flags;
  if (!(fl & RTE_MBUF_F_TX_TCP_SEG) || m->tso_segsz == 0) return 0;
  const bool v4 = fl & RTE_MBUF_F_TX_IPV4;
  if (v4 == static_cast<bool>(fl & RTE_MBUF_F_TX_IPV6)) return 0;
  const uint32_t l2 = m->l2_len, l3 = m->l3_len, l4 = m->l4_len, hl = l2 + l3 + l4;
  const uint32_t mss = m->tso_segsz;
  if (l3 < (v4 ? 20u : 40u) || l4 < 20 || hl > m->data_len || hl >= m->pkt_len) return 0;
  const uint8_t* src = rte_pktmbuf_mtod(m, const uint8_t*);
  const int jumbo = v4 ? 0 : ipv6_jumbo_bytes(src + l2, l3, m->pkt_len - l2);
  if (jumbo < 0) return 0;
  // The pieces' headers: the original's less an IPv6 jumbo header, as each piece has a real
  // payload length (a jumbogram must be over 64 KiB: a receiver would drop the piece).
  const uint32_t out_l3 = l3 - static_cast<uint32_t>(jumbo), out_hl = l2 + out_l3 + l4;
  // Whole segments per piece, within an IP length and a kernel frame.
  const uint32_t room = std::min(kMaxIpLen - out_l3 - l4, kMaxKernelFrame - out_hl);
  const uint32_t per = room / mss;
  if (per == 0) return 0;
  const uint32_t payload = m->pkt_len - hl, step = per * mss;
  const unsigned n = (payload + step - 1) / step;
  if (n > max) return 0;

  const uint16_t id0 = load_be16(src + l2 + 4);
  uint32_t seq0;
  std::memcpy(&seq0, src + l2 + l3 + 4, 4);
  seq0 = rte_be_to_cpu_32(seq0);
  const uint8_t flags = src[l2 + l3 + 13];
  rte_mbuf* seg = m;
  uint32_t seg_start = 0;
  for (unsigned i = 0; i < n; ++i) {
    const uint32_t off = i * step, len = std::min(step, payload - off);
    rte_mbuf* h = rte_pktmbuf_alloc(pool);
    if (h == nullptr || rte_pktmbuf_tailroom(h) < out_hl) {
      rte_pktmbuf_free(h);
      rte_pktmbuf_free_bulk(out, i);
      return 0;
    }
    uint8_t* p = rte_pktmbuf_mtod(h, uint8_t*);
    std::memcpy(p, src, l2 + out_l3);
    std::memcpy(p + l2 + out_l3, src + l2 + l3, l4);
    if (out_l3 != l3) p[l2 + 6] = kIpProtoTcp;  // the jumbo header's next header
    h->data_len = static_cast<uint16_t>(out_hl);
    h->pkt_len = out_hl;
    ports::rewrite_segment_headers(
        p, l2, out_l3, l4, v4, true, false, flags,
        {len, true, static_cast<uint16_t>(id0 + off / mss), seq0 + off, i == 0, i + 1 == n});
    // The checksum field of a CHECKSUM_PARTIAL piece: its pseudo-header sum, folded.
    const uint16_t check = static_cast<uint16_t>(csum_fold32(pseudo_sum(p + l2, v4, 6, l4 + len)));
    std::memcpy(p + l2 + out_l3 + 16, &check, 2);
    out[i] = h;
    if (!attach_range(h, pool, seg, seg_start, hl + off, len)) {
      rte_pktmbuf_free_bulk(out, i + 1);
      return 0;
    }
    h->port = m->port;
    h->ol_flags = fl;
    h->tx_offload = m->tx_offload;
    h->l3_len = out_l3;
    h->packet_type = m->packet_type;
    h->vlan_tci = m->vlan_tci;
    // A piece of a single segment needs no GSO, only its checksum.
    if (len <= mss) h->ol_flags &= ~RTE_MBUF_F_TX_TCP_SEG;
  }
  rte_pktmbuf_free(m);  // the pieces hold references to the payload segments
  return n;
}

}  // namespace lvs::ports
