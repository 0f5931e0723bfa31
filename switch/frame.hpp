#pragma once
// Stage 1: parse Ethernet II and one 802.1Q tag (TPID 0x8100) from the first segment, and
// refuse IPv4 headers that cannot be right.
#include <rte_mbuf.h>

#include <cstring>

#include "switch/types.hpp"

namespace lvs::sw {

inline constexpr uint16_t kTpid8021Q = 0x8100;
inline constexpr uint16_t kEthHeaderLen = 14;
inline constexpr uint16_t kVlanTagLen = 4;
inline constexpr uint16_t kEtherTypeIpv4 = 0x0800;

// No default member initialisers on purpose: the pipeline keeps an uninitialised array of 32 of
// these per burst, and each element is assigned whole by parse_frame(), which starts from all
// zeros (an invalid frame returns early with the fields it did not reach still zero).
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
inline bool mac_is_broadcast(uint64_t mac) { return mac == 0xffffffffffffULL; }
// A source worth learning: neither multicast (broadcast included) nor all zeroes.
inline bool mac_is_learnable(uint64_t mac) { return mac != 0 && !mac_is_multicast(mac); }
// 01:80:c2:00:00:00..0f: bridge-local protocols (STP, LACP, LLDP...), never forwarded by default.
inline bool mac_is_reserved(uint64_t mac) { return (mac & ~uint64_t{0xf}) == 0x0180c2000000ULL; }

// An IPv4 header the kernel would refuse (docker0 runs br_netfilter, whose br_validate_ipv4 drops
// these before the bridge forwards them): version not 4, header under 20 bytes or not in the first
// segment, total length shorter than the header or longer than the frame. Padding after the
// datagram is fine (short frames are padded to 60 bytes). A TSO super-frame may carry total
// length 0 (BIG TCP); the checksum is left to the receiver, as the bridge leaves it.
inline bool ipv4_header_bad(const rte_mbuf* m, const uint8_t* ip, uint32_t l2_len) {
  const uint32_t avail = m->data_len - l2_len;
  if (avail < 20) return true;
  const uint32_t ihl = (ip[0] & 0xfu) * 4u;
  const uint32_t total = load_be16(ip + 2);
  if ((ip[0] >> 4) != 4 || ihl < 20 || ihl > avail) return true;
  if (total == 0) return !(m->ol_flags & RTE_MBUF_F_TX_TCP_SEG);
  return total < ihl || total > m->pkt_len - l2_len;
}

// Invalid when the first segment cannot hold the Ethernet header (and the tag, if any), or the
// frame is IPv4 with a header that cannot be right (above).
inline FrameMeta parse_frame(const rte_mbuf* m) {
  FrameMeta f{0, 0, 0, false, false};
  const uint8_t* p = rte_pktmbuf_mtod(m, const uint8_t*);
  const uint16_t len = m->data_len;
  if (__builtin_expect(len < kEthHeaderLen, 0)) return f;
  load_macs(p, f.dst, f.src);
  uint32_t l2_len = kEthHeaderLen;
  uint16_t type = load_be16(p + 12);
  if (type == kTpid8021Q) {
    if (__builtin_expect(len < kEthHeaderLen + kVlanTagLen, 0)) return f;
    f.tagged = true;
    f.tci = load_be16(p + 14);
    l2_len += kVlanTagLen;
    type = load_be16(p + 16);
  }
  if (type == kEtherTypeIpv4 && __builtin_expect(ipv4_header_bad(m, p + l2_len, l2_len), 0))
    return f;
  f.valid = true;
  return f;
}

}  // namespace lvs::sw
