#pragma once
// Stage 1: parse Ethernet II and one 802.1Q tag (TPID 0x8100) from the first segment.
#include <rte_mbuf.h>

#include <cstring>

#include "switch/types.hpp"

namespace lvs::sw {

inline constexpr uint16_t kTpid8021Q = 0x8100;
inline constexpr uint16_t kEthHeaderLen = 14;
inline constexpr uint16_t kVlanTagLen = 4;

// No default member initialisers on purpose: the pipeline keeps an array of 32 of these per
// burst and parse_frame() fills every field, so zeroing them first would be wasted work.
struct FrameMeta {
  uint64_t dst;  // MAC as 48-bit integer (network byte order semantics)
  uint64_t src;
  uint16_t tci;  // the 802.1Q TCI when tagged
  bool tagged;   // carries an 802.1Q tag (VID may be 0: priority tag)
  bool valid;

  uint16_t tag_vid() const { return tci & 0x0fff; }
  uint8_t tag_pcp() const { return static_cast<uint8_t>(tci >> 13); }
};

// Both MACs with two unaligned 64-bit loads (the first 14 bytes are known to be there).
inline void load_macs(const uint8_t* p, uint64_t& dst, uint64_t& src) {
  uint64_t a, b;
  std::memcpy(&a, p, 8);
  std::memcpy(&b, p + 4, 8);
  dst = __builtin_bswap64(a) >> 16;
  src = __builtin_bswap64(b) & 0xffffffffffffULL;
}
inline uint64_t load_mac(const uint8_t* p) {
  return (uint64_t{p[0]} << 40) | (uint64_t{p[1]} << 32) | (uint64_t{p[2]} << 24) |
         (uint64_t{p[3]} << 16) | (uint64_t{p[4]} << 8) | uint64_t{p[5]};
}
inline bool mac_is_multicast(uint64_t mac) { return (mac >> 40) & 1; }
// 01:80:c2:00:00:00..0f: bridge-local protocols (STP, LACP, LLDP...), never forwarded by default.
inline bool mac_is_broadcast(uint64_t mac) { return mac == 0xffffffffffffULL; }
inline bool mac_is_reserved(uint64_t mac) { return (mac & ~uint64_t{0xf}) == 0x0180c2000000ULL; }

// Invalid when the first segment cannot hold the Ethernet header (and the tag, if any).
inline FrameMeta parse_frame(const rte_mbuf* m) {
  FrameMeta f{0, 0, 0, false, false};
  const uint8_t* p = rte_pktmbuf_mtod(m, const uint8_t*);
  const uint16_t len = m->data_len;
  if (__builtin_expect(len < kEthHeaderLen, 0)) return f;
  load_macs(p, f.dst, f.src);
  if (load_be16(p + 12) == kTpid8021Q) {
    if (__builtin_expect(len < kEthHeaderLen + kVlanTagLen, 0)) return f;
    f.tagged = true;
    f.tci = load_be16(p + 14);
  }
  f.valid = true;
  return f;
}

}  // namespace lvs::sw
