#pragma once
// RFC 2784 / RFC 2890 GRE header carrying Ethernet (protocol 0x6558):
//   C | 0 | K | S | reserved0(9) | version(3) | protocol(16)
//   [checksum(16) reserved1(16)] if C   [key(32)] if K   [sequence(32)] if S
// Decap drops: version != 0; any of RFC 2784's bits 1-5 other than K and S (the RFC 1701 routing,
// strict source route and recursion bits: "MUST discard"); protocol other than 0x6558; a
// checksum present and wrong (checked by the caller over the whole packet, see
// gre_checksum_ok). Bits 6-12 are ignored as RFC 2784 requires. Sequence numbers are accepted
// and not enforced (RFC 2890 lets a receiver do that).
#include <cstddef>
#include <cstdint>
#include <optional>

#include "tunnels/decap_status.hpp"

namespace lvs::tunnels {

inline constexpr uint16_t kGreFlagCsum = 0x8000;
inline constexpr uint16_t kGreFlagKey = 0x2000;
inline constexpr uint16_t kGreFlagSeq = 0x1000;
inline constexpr uint16_t kGreMustBeZero = 0x4000 | 0x0800 | 0x0400;  // bits 1, 4, 5
inline constexpr uint16_t kGreVersionMask = 0x0007;
inline constexpr uint16_t kGreProtoTeb = 0x6558;
inline constexpr size_t kGreMaxHeaderLen = 16;
inline constexpr uint8_t kIpProtoGre = 47;

inline size_t gre_header_len(bool csum, bool key) { return 4 + (csum ? 4 : 0) + (key ? 4 : 0); }

// Writes the header (checksum field zero: the caller sums the packet and stores it at p + 4).
// Returns its length.
inline size_t write_gre_header(uint8_t* p, bool csum, std::optional<uint32_t> key) {
  const uint16_t flags = (csum ? kGreFlagCsum : 0) | (key ? kGreFlagKey : 0);
  p[0] = static_cast<uint8_t>(flags >> 8);
  p[1] = static_cast<uint8_t>(flags);
  p[2] = static_cast<uint8_t>(kGreProtoTeb >> 8);
  p[3] = static_cast<uint8_t>(kGreProtoTeb & 0xff);
  size_t off = 4;
  if (csum) {
    p[4] = p[5] = p[6] = p[7] = 0;
    off = 8;
  }
  if (key) {
    p[off] = static_cast<uint8_t>(*key >> 24);
    p[off + 1] = static_cast<uint8_t>(*key >> 16);
    p[off + 2] = static_cast<uint8_t>(*key >> 8);
    p[off + 3] = static_cast<uint8_t>(*key);
    off += 4;
  }
  return off;
}

struct GreInfo {
  size_t header_len = 0;
  bool has_csum = false;
  bool has_key = false;
  uint32_t key = 0;  // 0 when absent (Open vSwitch treats "no key" and key 0 alike)
};

inline DecapStatus parse_gre_header(const uint8_t* p, size_t len, GreInfo& out) {
  if (len < 4) return DecapStatus::kTruncated;
  const uint16_t flags = static_cast<uint16_t>(p[0] << 8 | p[1]);
  if (flags & kGreVersionMask) return DecapStatus::kBadVersion;
  if (flags & kGreMustBeZero) return DecapStatus::kBadFlags;
  if (static_cast<uint16_t>(p[2] << 8 | p[3]) != kGreProtoTeb) return DecapStatus::kBadProtocol;
  out.has_csum = flags & kGreFlagCsum;
  out.has_key = flags & kGreFlagKey;
  const bool seq = flags & kGreFlagSeq;
  out.header_len = 4 + (out.has_csum ? 4 : 0) + (out.has_key ? 4 : 0) + (seq ? 4 : 0);
  if (len < out.header_len) return DecapStatus::kTruncated;
  if (out.has_csum && (p[6] | p[7])) return DecapStatus::kReservedBits;  // reserved1
  out.key = 0;
  if (out.has_key) {
    const uint8_t* k = p + (out.has_csum ? 8 : 4);
    out.key = static_cast<uint32_t>(k[0]) << 24 | static_cast<uint32_t>(k[1]) << 16 |
              static_cast<uint32_t>(k[2]) << 8 | k[3];
  }
  return DecapStatus::kOk;
}

}  // namespace lvs::tunnels
