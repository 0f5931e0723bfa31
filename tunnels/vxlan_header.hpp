#pragma once
// RFC 7348 VXLAN header (8 bytes after the outer UDP header):
//   flags(8) = 0x08 (I: VNI valid) | reserved(24) | VNI(24) | reserved(8)
// Decap is as strict as Linux's vxlan driver: the I flag must be set and every other bit of the
// header that is not the VNI must be zero (GBP/GPE extensions are not spoken here), else drop.
#include <cstddef>
#include <cstdint>

#include "tunnels/decap_status.hpp"

namespace lvs::tunnels {

inline constexpr size_t kVxlanHeaderLen = 8;
inline constexpr uint8_t kVxlanFlagVni = 0x08;
inline constexpr uint16_t kVxlanDefaultPort = 4789;
inline constexpr uint32_t kVxlanMaxVni = (1u << 24) - 1;
inline constexpr size_t kUdpHeaderLen = 8;

inline void write_vxlan_header(uint8_t* p, uint32_t vni) {
  p[0] = kVxlanFlagVni;
  p[1] = p[2] = p[3] = 0;
  p[4] = static_cast<uint8_t>(vni >> 16);
  p[5] = static_cast<uint8_t>(vni >> 8);
  p[6] = static_cast<uint8_t>(vni);
  p[7] = 0;
}

// Checks the VXLAN header at `p` (`len` bytes of UDP payload) and reads the VNI.
inline DecapStatus parse_vxlan_header(const uint8_t* p, size_t len, uint32_t& vni) {
  if (len < kVxlanHeaderLen) return DecapStatus::kTruncated;
  if (p[0] != kVxlanFlagVni) return DecapStatus::kBadFlags;
  if (p[1] | p[2] | p[3] | p[7]) return DecapStatus::kReservedBits;
  vni = static_cast<uint32_t>(p[4]) << 16 | static_cast<uint32_t>(p[5]) << 8 | p[6];
  return DecapStatus::kOk;
}

}  // namespace lvs::tunnels
