#pragma once
// Strong types for what is easy to mix up on the fast path.
#include <array>
#include <compare>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

namespace lvs::sw {

struct MacAddr {
  std::array<uint8_t, 6> bytes{};

  static MacAddr from_u64(uint64_t v) {
    MacAddr m;
    for (int i = 5; i >= 0; --i, v >>= 8) m.bytes[i] = static_cast<uint8_t>(v);
    return m;
  }
  static MacAddr from_bytes(const uint8_t* p) {
    MacAddr m;
    std::memcpy(m.bytes.data(), p, 6);
    return m;
  }
  // "aa:bb:cc:dd:ee:ff" (case-insensitive); nullopt on anything else.
  static std::optional<MacAddr> parse(std::string_view text);

  uint64_t to_u64() const {
    uint64_t v = 0;
    for (uint8_t b : bytes) v = (v << 8) | b;
    return v;
  }
  bool is_multicast() const { return bytes[0] & 1; }  // broadcast included
  bool is_broadcast() const { return to_u64() == 0xffffffffffffULL; }
  bool is_zero() const { return to_u64() == 0; }
  std::string to_string() const;
  auto operator<=>(const MacAddr&) const = default;
};

// 802.1Q VLAN id, 0..4095. 0 means "untagged / priority-tagged" for classification.
struct VlanId {
  uint16_t value = 0;
  constexpr VlanId() = default;
  constexpr explicit VlanId(uint16_t v) : value(v & 0x0fff) {}
  auto operator<=>(const VlanId&) const = default;
};
inline constexpr uint16_t kMaxVlan = 4095;

// Index of a port inside its bridge: dense, stable while the port exists; the FDB stores it.
using PortIndex = uint16_t;
inline constexpr PortIndex kNoPort = 0xffff;
inline constexpr unsigned kMaxPortsPerBridge = 4096;

// Frames move in bursts of this size through every stage.
inline constexpr uint16_t kBurst = 32;

// Reads a 16-bit big-endian field without alignment assumptions.
inline uint16_t load_be16(const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }
inline void store_be16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}

}  // namespace lvs::sw
