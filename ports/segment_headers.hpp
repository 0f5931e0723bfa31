#pragma once
// The header rewrite every cut of a GSO super-frame shares: the copied L2-L4 headers of one
// piece made what the kernel's GSO would make them. Used by ports/gso_split.cpp (BIG TCP frames
// into 64 KiB GSO pieces) and tunnels/inner_gso.hpp (frames into MSS-sized packets before
// encapsulation), which then differ only in what they put in the L4 checksum field.
#include <rte_byteorder.h>
#include <rte_ip.h>

#include <cstdint>
#include <cstring>

namespace lvs::ports {

inline void store_be16(uint8_t* p, uint32_t v) {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}
inline uint16_t load_be16(const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }

// A 32-bit ones' complement sum folded to 16 bits (not complemented).
inline uint32_t csum_fold32(uint32_t sum) {
  sum = (sum & 0xffff) + (sum >> 16);
  sum = (sum & 0xffff) + (sum >> 16);
  return sum;
}

// Ones' complement sum (unfolded, memory order) of the IPv4 / IPv6 pseudo-header at `ip`.
inline uint32_t pseudo_sum(const uint8_t* ip, bool v4, uint8_t proto, uint32_t l4_len) {
  uint8_t ph[40] = {};
  if (v4) {
    std::memcpy(ph, ip + 12, 8);
    ph[9] = proto;
    store_be16(ph + 10, l4_len);
    return rte_raw_cksum(ph, 12);
  }
  std::memcpy(ph, ip + 8, 32);
  store_be16(ph + 34, l4_len);
  ph[39] = proto;
  return rte_raw_cksum(ph, 40);
}

// One piece of a cut frame: `len` payload bytes; the IPv4 id to write (when set_id), the TCP
// sequence number, and whether it is the first / last piece.
struct SegmentPiece {
  uint32_t len;
  bool set_id;
  uint16_t id;
  uint32_t seq;
  bool first, last;
};

// Rewrites the headers at `hdr` (l2/l3/l4 bytes of Ethernet, IP, TCP or UDP or nothing) for
// `piece`: IPv4 total length, id, header checksum; IPv6 payload length (extension headers
// kept); TCP seq, FIN/PSH on the last piece only, CWR on the first only, the original flags
// being `tcp_flags`; UDP length. The L4 checksum field is the caller's.
inline void rewrite_segment_headers(uint8_t* hdr, uint32_t l2, uint32_t l3, uint32_t l4, bool v4,
                                    bool tcp, bool udp, uint8_t tcp_flags, const SegmentPiece& piece) {
  uint8_t* ip = hdr + l2;
  uint8_t* l4p = ip + l3;
  if (v4) {
    store_be16(ip + 2, l3 + l4 + piece.len);
    if (piece.set_id) store_be16(ip + 4, piece.id);
    ip[10] = ip[11] = 0;
    const uint16_t c = rte_ipv4_cksum(reinterpret_cast<const rte_ipv4_hdr*>(ip));
    std::memcpy(ip + 10, &c, 2);
  } else {
    store_be16(ip + 4, l3 - 40 + l4 + piece.len);
  }
  if (tcp) {
    const uint32_t seq = rte_cpu_to_be_32(piece.seq);
    std::memcpy(l4p + 4, &seq, 4);
    uint8_t f = tcp_flags;
    if (!piece.last) f &= static_cast<uint8_t>(~(0x01 | 0x08));  // FIN, PSH: last piece only
    if (!piece.first) f &= static_cast<uint8_t>(~0x80);          // CWR: first piece only
    l4p[13] = f;
  } else if (udp) {
    store_be16(l4p + 4, l4 + piece.len);
  }
}

}  // namespace lvs::ports
