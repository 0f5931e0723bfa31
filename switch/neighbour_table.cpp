#include "switch/neighbour_table.hpp"

#include <map>

namespace lvs::sw {

NeighbourTable::NeighbourTable(const std::vector<NeighbourEntry>& entries) {
  for (const auto& e : entries) {
    if (e.ip.v6) {
      V6 v{e.vlan, {}, e.mac.to_u64()};
      std::memcpy(v.ip, e.ip.bytes.data(), 16);
      v6_.push_back(v);
    } else {
      uint32_t ip;
      std::memcpy(&ip, e.ip.bytes.data(), 4);
      v4_.push_back({uint64_t{e.vlan} << 32 | __builtin_bswap32(ip), e.mac.to_u64()});
    }
  }
  std::sort(v4_.begin(), v4_.end(), [](const V4& a, const V4& b) { return a.key < b.key; });
  v4_.erase(
      std::unique(v4_.begin(), v4_.end(), [](const V4& a, const V4& b) { return a.key == b.key; }),
      v4_.end());
  std::sort(v6_.begin(), v6_.end(), v6_less);
  v6_.erase(std::unique(v6_.begin(), v6_.end(),
                        [](const V6& a, const V6& b) { return !v6_less(a, b) && !v6_less(b, a); }),
            v6_.end());
}

std::vector<NeighbourEntry> NeighbourTable::entries() const {
  std::vector<NeighbourEntry> out;
  for (const V4& e : v4_) {
    const uint32_t ip = __builtin_bswap32(static_cast<uint32_t>(e.key));
    out.push_back({static_cast<uint16_t>(e.key >> 32),
                   IpAddr::v4_from_bytes(reinterpret_cast<const uint8_t*>(&ip)),
                   MacAddr::from_u64(e.mac)});
  }
  for (const V6& e : v6_)
    out.push_back({e.vlan, IpAddr::v6_from_bytes(e.ip), MacAddr::from_u64(e.mac)});
  return out;
}

std::optional<std::string> validate_neighbours(const std::vector<NeighbourEntry>& entries) {
  std::map<std::pair<uint16_t, IpAddr>, MacAddr> seen;
  for (const auto& e : entries) {
    const std::string what = "neighbour " + e.ip.to_string() + " on VLAN " +
                             std::to_string(e.vlan) + " (" + e.mac.to_string() + ")";
    if (e.vlan > kMaxVlan) return what + ": VLAN above " + std::to_string(kMaxVlan);
    if (e.ip.is_unspecified()) return what + ": unspecified address";
    if (e.ip.is_multicast()) return what + ": multicast or broadcast address";
    if (e.mac.is_multicast() || e.mac.is_zero()) return what + ": multicast or all-zero MAC";
    auto [it, fresh] = seen.try_emplace({e.vlan, e.ip}, e.mac);
    if (!fresh && it->second != e.mac)
      return what + ": also given with MAC " + it->second.to_string();
  }
  return std::nullopt;
}

}  // namespace lvs::sw
