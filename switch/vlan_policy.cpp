#include "switch/vlan_policy.hpp"

namespace lvs::sw {

std::string_view to_string(VlanMode mode) {
  switch (mode) {
    case VlanMode::kAccess:
      return "access";
    case VlanMode::kTrunk:
      return "trunk";
    case VlanMode::kNativeTagged:
      return "native-tagged";
    case VlanMode::kNativeUntagged:
      return "native-untagged";
  }
  return "?";
}

std::optional<VlanMode> parse_vlan_mode(std::string_view text) {
  if (text == "access") return VlanMode::kAccess;
  if (text == "trunk") return VlanMode::kTrunk;
  if (text == "native-tagged") return VlanMode::kNativeTagged;
  if (text == "native-untagged") return VlanMode::kNativeUntagged;
  return std::nullopt;
}

VlanPolicy VlanPolicy::access(uint16_t tag) {
  VlanPolicy p;
  p.mode_ = VlanMode::kAccess;
  p.tag_ = tag & 0x0fff;
  p.trunks_all_ = false;
  p.trunks_.reset();
  return p;
}

VlanPolicy VlanPolicy::trunk(const std::vector<uint16_t>& trunks) {
  return native(VlanMode::kTrunk, 0, trunks);
}

VlanPolicy VlanPolicy::native(VlanMode mode, uint16_t tag, const std::vector<uint16_t>& trunks) {
  VlanPolicy p;
  p.mode_ = mode;
  p.tag_ = tag & 0x0fff;
  p.trunks_all_ = trunks.empty();
  if (!trunks.empty()) {
    p.trunks_.reset();
    for (uint16_t v : trunks) p.trunks_.set(v & 0x0fff);
    p.trunks_.reset(kReservedVid);
  }
  return p;
}

std::vector<uint16_t> VlanPolicy::trunk_list() const {
  std::vector<uint16_t> out;
  if (trunks_all_ || mode_ == VlanMode::kAccess) return out;
  for (uint16_t v = 0; v <= kMaxVlan; ++v)
    if (trunks_.test(v)) out.push_back(v);
  return out;
}

}  // namespace lvs::sw
