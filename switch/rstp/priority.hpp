#pragma once
// Bridge identifiers and spanning tree priority vectors (IEEE 802.1D-2004 17.5, 17.6): smaller
// is better, compared field by field.
#include <array>
#include <compare>
#include <cstdint>
#include <string>

namespace lvs::sw::rstp {

// 4-bit priority (multiples of 4096) and 12-bit system id extension, then the MAC address.
struct BridgeId {
  uint64_t value = 0;  // priority << 48 | mac
  static BridgeId make(uint16_t priority, const std::array<uint8_t, 6>& mac) {
    uint64_t v = uint64_t{priority} << 48;
    for (int i = 0; i < 6; ++i) v |= uint64_t{mac[i]} << (8 * (5 - i));
    return BridgeId{v};
  }
  uint16_t priority() const { return static_cast<uint16_t>(value >> 48); }
  std::string to_string() const;  // "8000.aabbccddeeff" as Open vSwitch and brctl print it
  auto operator<=>(const BridgeId&) const = default;
};

// 4-bit port priority (multiples of 16) and 12-bit port number.
using PortId = uint16_t;
inline PortId make_port_id(uint8_t priority, uint16_t number) {
  return static_cast<PortId>((priority & 0xf0) << 8 | (number & 0x0fff));
}

struct PriorityVector {
  BridgeId root;
  uint32_t root_path_cost = 0;
  BridgeId designated_bridge;
  PortId designated_port = 0;
  auto operator<=>(const PriorityVector&) const = default;
};

}  // namespace lvs::sw::rstp
