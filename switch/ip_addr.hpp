#pragma once
// An IPv4 or IPv6 address as the control plane hands it to the datapath (neighbour tables):
// 16 bytes in network order, an IPv4 address in the first 4.
#include <array>
#include <compare>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

namespace lvs::sw {

struct IpAddr {
  bool v6 = false;
  std::array<uint8_t, 16> bytes{};  // network order; IPv4: bytes[0..4), the rest zero

  static IpAddr v4_from_bytes(const uint8_t* p) {
    IpAddr a;
    std::memcpy(a.bytes.data(), p, 4);
    return a;
  }
  static IpAddr v6_from_bytes(const uint8_t* p) {
    IpAddr a;
    a.v6 = true;
    std::memcpy(a.bytes.data(), p, 16);
    return a;
  }
  // "10.0.0.1" or "fd00::1" (inet_pton); nullopt on anything else.
  static std::optional<IpAddr> parse(std::string_view text);
  std::string to_string() const;
  bool is_unspecified() const;  // 0.0.0.0 or ::
  bool is_multicast() const;    // 224.0.0.0/4 (and 255.255.255.255) or ff00::/8
  auto operator<=>(const IpAddr&) const = default;
};

}  // namespace lvs::sw
