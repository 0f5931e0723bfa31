#include "switch/tag_rewrite.hpp"

#include <cstring>

namespace lvs::sw {
namespace {

constexpr uint32_t kCopyWholeBelow = 256;

// TX offload metadata (checksum / TSO) counts the 802.1Q tag in l2_len.
inline void adjust_l2_len(rte_mbuf* m, int delta) {
  if (m->ol_flags & (RTE_MBUF_F_TX_IP_CKSUM | RTE_MBUF_F_TX_L4_MASK | RTE_MBUF_F_TX_TCP_SEG |
                     RTE_MBUF_F_TX_UDP_SEG))
    m->l2_len = static_cast<uint16_t>(m->l2_len + delta);
}

inline uint16_t new_tci(const FrameMeta& f, uint16_t vid) {
  return f.tagged ? static_cast<uint16_t>((f.tci & 0xf000) | vid) : vid;
}

// Writes dst+src, then the tag when `tagged`. Returns bytes written (12 or 16).
inline uint16_t write_header(uint8_t* out, const uint8_t* macs, bool tagged, uint16_t tci) {
  std::memcpy(out, macs, 12);
  if (!tagged) return 12;
  store_be16(out + 12, kTpid8021Q);
  store_be16(out + 14, tci);
  return 16;
}

}  // namespace

bool retag_in_place(rte_mbuf* m, const FrameMeta& f, EgressTag form, uint16_t vid) {
  uint8_t* p = rte_pktmbuf_mtod(m, uint8_t*);
  if (form == EgressTag::kTagged) {
    if (f.tagged) {
      store_be16(p + 14, new_tci(f, vid));
      return true;
    }
    uint8_t* q = reinterpret_cast<uint8_t*>(rte_pktmbuf_prepend(m, kVlanTagLen));
    if (q == nullptr) return false;
    std::memmove(q, p, 12);
    store_be16(q + 12, kTpid8021Q);
    store_be16(q + 14, vid);
    adjust_l2_len(m, kVlanTagLen);
    return true;
  }
  if (f.tagged) {
    std::memmove(p + kVlanTagLen, p, 12);
    rte_pktmbuf_adj(m, kVlanTagLen);
    adjust_l2_len(m, -kVlanTagLen);
  }
  return true;
}

rte_mbuf* make_retagged_copy(rte_mbuf* m, const FrameMeta& f, EgressTag form, uint16_t vid,
                             rte_mempool* pool) {
  const bool tagged = form == EgressTag::kTagged;
  const uint16_t old_hdr = f.tagged ? 16 : 12;  // bytes before the EtherType
  const uint8_t* src = rte_pktmbuf_mtod(m, const uint8_t*);
  rte_mbuf* h = rte_pktmbuf_alloc(pool);
  if (h == nullptr) return nullptr;
  uint8_t* out = rte_pktmbuf_mtod(h, uint8_t*);
  const uint16_t hdr = write_header(out, src, tagged, new_tci(f, vid));
  const uint32_t rest = rte_pktmbuf_pkt_len(m) - old_hdr;

  if (rte_pktmbuf_pkt_len(m) < kCopyWholeBelow && m->nb_segs == 1) {
    std::memcpy(out + hdr, src + old_hdr, rest);
    h->data_len = static_cast<uint16_t>(hdr + rest);
    h->pkt_len = h->data_len;
  } else {
    rte_mbuf* body = rte_pktmbuf_clone(m, pool);
    if (body == nullptr) {
      rte_pktmbuf_free(h);
      return nullptr;
    }
    rte_pktmbuf_adj(body, old_hdr);
    h->data_len = hdr;
    h->pkt_len = hdr;
    if (rte_pktmbuf_chain(h, body) != 0) {
      rte_pktmbuf_free(h);
      rte_pktmbuf_free(body);
      return nullptr;
    }
  }
  h->port = m->port;
  h->ol_flags = m->ol_flags;
  h->tx_offload = m->tx_offload;
  h->packet_type = m->packet_type;
  adjust_l2_len(h, static_cast<int>(hdr) - static_cast<int>(old_hdr));
  return h;
}

}  // namespace lvs::sw
