#include "tunnels/vxlan_gro.hpp"

#include <rte_ip.h>

#include <algorithm>
#include <cstring>

#include "switch/types.hpp"
#include "tunnels/inner_gso.hpp"
#include "tunnels/vxlan_header.hpp"

namespace lvs::tunnels {
namespace {

constexpr uint32_t kEth = 14;
constexpr uint32_t kIp = 20;
constexpr uint32_t kVx = kVxlanHeaderLen;
constexpr uint32_t kMaxHeaders = kVx + kEth + kIp + 60;
constexpr uint8_t kFin = 0x01, kSyn = 0x02, kRst = 0x04, kPsh = 0x08, kUrg = 0x20, kCwr = 0x80;

uint32_t be32(const uint8_t* p) {
  return uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 | p[3];
}

// Appends bytes to a chain of fresh mbufs.
class ChainWriter {
 public:
  explicit ChainWriter(rte_mempool* pool) : pool_(pool) {}
  ~ChainWriter() {
    if (head_) rte_pktmbuf_free(head_);
  }
  bool append(const rte_mbuf* src, uint32_t off, uint32_t len) {
    while (len > 0) {
      if (tail_ == nullptr || rte_pktmbuf_tailroom(tail_) == 0) {
        rte_mbuf* s = rte_pktmbuf_alloc(pool_);
        if (s == nullptr) return false;
        if (tail_ == nullptr) {
          head_ = s;
        } else {
          s->data_off = 0;  // continuations need no headroom
          tail_->next = s;
          ++head_->nb_segs;
        }
        tail_ = s;
      }
      const uint32_t take = std::min<uint32_t>(len, rte_pktmbuf_tailroom(tail_));
      auto* dst = rte_pktmbuf_mtod_offset(tail_, uint8_t*, tail_->data_len);
      const void* p = rte_pktmbuf_read(src, off, take, dst);
      if (p == nullptr) return false;
      if (p != dst) std::memcpy(dst, p, take);
      tail_->data_len = static_cast<uint16_t>(tail_->data_len + take);
      head_->pkt_len += take;
      off += take;
      len -= take;
    }
    return true;
  }
  rte_mbuf* release() {
    rte_mbuf* h = head_;
    head_ = tail_ = nullptr;
    return h;
  }
  rte_mbuf* head() const { return head_; }

 private:
  rte_mempool* pool_;
  rte_mbuf* head_ = nullptr;
  rte_mbuf* tail_ = nullptr;
};

// The inner TCP/IPv4 view of one piece: bytes [off, off + len) of `src`, `pre` bytes of tunnel
// header (VXLAN's 8, none for GRE, whose packets are decapsulated first) then the inner frame.
struct Piece {
  const rte_mbuf* src = nullptr;
  uint32_t off = 0, len = 0, pre = 0;
  const uint8_t* h = nullptr;  // pre + kEth + kIp + thl bytes
  uint8_t copy[kMaxHeaders];
  uint32_t thl = 0, payload = 0;
};

bool read_piece(const rte_mbuf* m, uint32_t off, uint32_t len, uint32_t pre, Piece& p) {
  p.src = m;
  p.off = off;
  p.len = len;
  p.pre = pre;
  if (len < pre + kEth + kIp + 20) return false;
  const uint32_t avail = std::min<uint32_t>(len, kMaxHeaders);
  p.h = static_cast<const uint8_t*>(rte_pktmbuf_read(m, off, avail, p.copy));
  if (p.h == nullptr) return false;
  const uint8_t* eth = p.h + pre;
  const uint8_t* ip = eth + kEth;
  if (sw::load_be16(eth + 12) != 0x0800 || ip[0] != 0x45 || ip[9] != 6) return false;
  if ((sw::load_be16(ip + 6) & 0x3fff) != 0) return false;  // fragments
  const uint32_t total = sw::load_be16(ip + 2);
  if (total != len - pre - kEth) return false;  // no padding, nothing missing
  p.thl = (ip[kIp + 12] >> 4) * 4u;
  if (p.thl < 20 || pre + kEth + kIp + p.thl > avail || total < kIp + p.thl) return false;
  p.payload = total - kIp - p.thl;
  return true;
}

// The inner TCP checksum of a piece is right (the kernel would check it before merging too).
bool tcp_checksum_ok(const Piece& p) {
  const uint8_t* ip = p.h + p.pre + kEth;
  const uint32_t tcp_len = p.thl + p.payload;
  uint16_t sum = 0;
  if (rte_raw_cksum_mbuf(p.src, p.off + p.pre + kEth + kIp, tcp_len, &sum) != 0) return false;
  uint32_t s = sum;
  s += rte_raw_cksum(ip + 12, 8);  // addresses
  s += rte_cpu_to_be_16(6) + rte_cpu_to_be_16(static_cast<uint16_t>(tcp_len));
  return csum_fold32(s) == 0xffff;
}

// The first piece can start a join: TCP payload, no FIN, SYN, RST, URG, CWR.
bool can_start(const Piece& a) {
  const uint8_t* ta = a.h + a.pre + kEth + kIp;
  return a.payload != 0 && (ta[13] & (kFin | kSyn | kRst | kUrg | kCwr)) == 0;
}

// `p` continues `a`'s stream at sequence number `seq`: tunnel header, inner Ethernet, TOS,
// protocol, addresses, ports, ack, window, options all as in `a`; flags too but for PSH.
bool continues(const Piece& a, const Piece& p, uint32_t seq) {
  const uint32_t pre = a.pre;
  const uint8_t* ta = a.h + pre + kEth + kIp;
  const uint8_t* t = p.h + pre + kEth + kIp;
  return p.thl == a.thl && std::memcmp(p.h, a.h, pre + kEth) == 0 &&
         p.h[pre + kEth + 1] == a.h[pre + kEth + 1] &&
         std::memcmp(p.h + pre + kEth + 12, a.h + pre + kEth + 12, 8) == 0 &&
         std::memcmp(t, ta, 4) == 0 && std::memcmp(t + 8, ta + 8, 5) == 0 &&
         ((t[13] ^ ta[13]) & ~kPsh) == 0 && std::memcmp(t + 14, ta + 14, 2) == 0 &&
         std::memcmp(t + 20, ta + 20, a.thl - 20) == 0 && be32(t + 4) == seq && p.payload != 0;
}

// The pieces of a UDP GRO buffer allow the join (checksums not checked here).
bool joinable(const rte_mbuf* m, uint16_t gso_size, uint32_t total_len, Piece* pieces,
              unsigned n) {
  const Piece& a = pieces[0];
  if (!can_start(a)) return false;
  uint32_t seq = be32(a.h + kVx + kEth + kIp + 4) + a.payload;
  for (unsigned i = 0; i < n; ++i) {
    const uint32_t off = i * gso_size;
    const uint32_t len = std::min<uint32_t>(gso_size, total_len - off);
    Piece& p = pieces[i];
    if (i > 0) {
      if (!read_piece(m, off, len, kVx, p) || !continues(a, p, seq)) return false;
      seq += p.payload;
    }
    if (i + 1 < n && p.payload != a.payload) return false;  // only the last may be shorter
  }
  return true;
}

// The joined frame's IPv4 total length and header checksum, PSH if any piece had it, and the TCP
// checksum field left pending (CHECKSUM_PARTIAL): the pseudo-header sum over the whole length.
void finish_joined(uint8_t* ip, uint32_t thl, uint32_t payload, uint8_t psh) {
  uint8_t* tcp = ip + kIp;
  sw::store_be16(ip + 2, static_cast<uint16_t>(kIp + thl + payload));
  ip[10] = ip[11] = 0;
  const uint16_t ipsum = static_cast<uint16_t>(~csum_fold32(rte_raw_cksum(ip, kIp)));
  std::memcpy(ip + 10, &ipsum, 2);
  tcp[13] |= psh;
  uint32_t s = rte_raw_cksum(ip + 12, 8);
  s += rte_cpu_to_be_16(6) + rte_cpu_to_be_16(static_cast<uint16_t>(thl + payload));
  const uint16_t ph = static_cast<uint16_t>(csum_fold32(s));
  std::memcpy(tcp + 16, &ph, 2);
}

// Joins into one mbuf `big` (headers of the first piece, then every piece's payload), checking
// each piece's inner TCP checksum over the bytes just copied. False (big untouched but for its
// data) when a checksum is wrong or the frame does not fit.
bool join_flat(rte_mbuf* big, const Piece* pieces, unsigned n, uint32_t payload) {
  const Piece& a = pieces[0];
  const uint32_t hdr = a.pre + kEth + kIp + a.thl;
  if (hdr + payload > rte_pktmbuf_tailroom(big)) return false;
  auto* dst = rte_pktmbuf_mtod(big, uint8_t*);
  std::memcpy(dst, a.h, hdr);
  uint8_t* at = dst + hdr;
  uint8_t psh = 0;
  for (unsigned i = 0; i < n; ++i) {
    const Piece& p = pieces[i];
    const void* src = rte_pktmbuf_read(p.src, p.off + hdr, p.payload, at);
    if (src == nullptr) return false;
    if (src != at) std::memcpy(at, src, p.payload);
    const uint8_t* ip = p.h + p.pre + kEth;
    const uint32_t tcp_len = p.thl + p.payload;
    uint32_t sum = rte_raw_cksum(at, p.payload);
    sum += rte_raw_cksum(ip + kIp, p.thl);
    sum += rte_raw_cksum(ip + 12, 8);
    sum += rte_cpu_to_be_16(6) + rte_cpu_to_be_16(static_cast<uint16_t>(tcp_len));
    if (csum_fold32(sum) != 0xffff) return false;
    psh |= ip[kIp + 13] & kPsh;
    at += p.payload;
  }
  big->data_len = static_cast<uint16_t>(hdr + payload);
  big->pkt_len = hdr + payload;
  finish_joined(dst + a.pre + kEth, a.thl, payload, psh);
  return true;
}

// One joined frame of pieces[0..n) (n >= 2, joinable): into one mbuf of `large` when one is free
// and the frame fits, else a chain of `pool` mbufs. nullptr when a checksum is wrong or mbufs ran
// out: the caller passes the pieces on one by one.
rte_mbuf* join(const Piece* pieces, unsigned n, rte_mempool* pool, rte_mempool* large) {
  const Piece& a = pieces[0];
  const uint32_t hdr = a.pre + kEth + kIp + a.thl;
  uint32_t payload = 0;
  for (unsigned i = 0; i < n; ++i) payload += pieces[i].payload;
  if (large != nullptr) {
    if (rte_mbuf* big = rte_pktmbuf_alloc(large)) {
      if (join_flat(big, pieces, n, payload)) return big;
      rte_pktmbuf_free(big);  // a bad checksum (no join below either) or too big for it
    }
  }
  for (unsigned i = 0; i < n; ++i)
    if (!tcp_checksum_ok(pieces[i])) return nullptr;
  ChainWriter w(pool);
  if (!w.append(a.src, a.off, hdr)) return nullptr;
  uint8_t psh = 0;
  for (unsigned i = 0; i < n; ++i) {
    if (!w.append(pieces[i].src, pieces[i].off + hdr, pieces[i].payload)) return nullptr;
    psh |= pieces[i].h[hdr - a.thl + 13] & kPsh;
  }
  if (w.head()->data_len < hdr) return nullptr;
  finish_joined(rte_pktmbuf_mtod_offset(w.head(), uint8_t*, a.pre + kEth), a.thl, payload, psh);
  return w.release();
}

}  // namespace

unsigned vxlan_gro_receive(rte_mbuf* m, uint16_t gso_size, rte_mempool* pool, rte_mempool* large,
                           GroPacket* out, unsigned max, uint64_t& dropped) {
  const uint32_t total = m->pkt_len;
  const unsigned n = gso_size ? (total + gso_size - 1) / gso_size : 0;
  unsigned k = 0;
  Piece pieces[64];
  if (n >= 2 && n <= 64 && read_piece(m, 0, gso_size, kVx, pieces[0]) &&
      joinable(m, gso_size, total, pieces, n)) {
    if (rte_mbuf* j = join(pieces, n, pool, large)) {
      out[k++] = {j, static_cast<uint16_t>(pieces[0].payload),
                  static_cast<uint8_t>(pieces[0].thl)};
      rte_pktmbuf_free(m);
      return k;
    }
  }
  for (unsigned i = 0; i < n; ++i) {
    const uint32_t off = i * gso_size;
    const uint32_t len = std::min<uint32_t>(gso_size, total - off);
    ChainWriter w(pool);
    if (k == max || !w.append(m, off, len)) {
      ++dropped;
      continue;
    }
    out[k++] = {w.release(), 0, 0};
  }
  rte_pktmbuf_free(m);
  return k;
}

unsigned tcp_join_frames(rte_mbuf** frames, unsigned n, rte_mempool* pool, rte_mempool* large,
                         GroPacket* out) {
  constexpr unsigned kMaxRun = 64;
  Piece run[kMaxRun];
  unsigned k = 0, i = 0;
  while (i < n) {
    unsigned len = 0;
    if (read_piece(frames[i], 0, frames[i]->pkt_len, 0, run[0]) && can_start(run[0])) {
      len = 1;
      uint32_t seq = be32(run[0].h + kEth + kIp + 4) + run[0].payload;
      uint32_t ip_total = kIp + run[0].thl + run[0].payload;
      // Every piece but the last of the first one's size; the joined IPv4 packet <= 64 KiB.
      while (len < kMaxRun && i + len < n && run[len - 1].payload == run[0].payload &&
             read_piece(frames[i + len], 0, frames[i + len]->pkt_len, 0, run[len]) &&
             continues(run[0], run[len], seq) && ip_total + run[len].payload <= 65535) {
        seq += run[len].payload;
        ip_total += run[len].payload;
        ++len;
      }
    }
    rte_mbuf* j = len >= 2 ? join(run, len, pool, large) : nullptr;
    if (j != nullptr) {
      out[k++] = {j, static_cast<uint16_t>(run[0].payload), static_cast<uint8_t>(run[0].thl)};
      for (unsigned x = 0; x < len; ++x) rte_pktmbuf_free(frames[i + x]);
      i += len;
    } else {  // not a run, or one that cannot be joined: its frames as they are (no retry)
      for (unsigned x = 0; x < std::max(len, 1u); ++x) out[k++] = {frames[i + x], 0, 0};
      i += std::max(len, 1u);
    }
  }
  return k;
}

void mark_joined(rte_mbuf* inner, const GroPacket& p) {
  inner->ol_flags = RTE_MBUF_F_TX_TCP_SEG | RTE_MBUF_F_TX_TCP_CKSUM | RTE_MBUF_F_TX_IPV4;
  inner->l2_len = kEth;
  inner->l3_len = kIp;
  inner->l4_len = p.l4_len;
  inner->tso_segsz = p.mss;
}

}  // namespace lvs::tunnels
