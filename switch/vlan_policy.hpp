#pragma once
// Per-port 802.1Q policy with Open vSwitch's vlan_mode semantics (vswitch.xml, xlate_normal):
//   access           untagged and priority-tagged (VID 0) in -> VLAN `tag`; any VID != 0 dropped,
//                    even `tag` itself; out untagged.
//   trunk            tagged VID in `trunks` (empty = every VLAN, VLAN 0 included); untagged and
//                    priority-tagged frames are VLAN 0; out tagged, VLAN 0 out untagged.
//   native-tagged    like trunk, untagged/priority-tagged in -> `tag`; `tag` goes out tagged.
//   native-untagged  like native-tagged, but `tag` goes out untagged.
#include <bitset>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "switch/frame.hpp"

namespace lvs::sw {

enum class VlanMode : uint8_t { kAccess, kTrunk, kNativeTagged, kNativeUntagged };

std::string_view to_string(VlanMode mode);
std::optional<VlanMode> parse_vlan_mode(std::string_view text);

enum class EgressTag : uint8_t { kNotMember, kUntagged, kTagged };

inline constexpr int kVlanDrop = -1;
inline constexpr uint16_t kReservedVid = 4095;

class VlanPolicy {
 public:
  // Default: trunk carrying every VLAN. VID 4095 is reserved (802.1Q): no policy carries it.
  VlanPolicy() {
    trunks_.set();
    trunks_.reset(kReservedVid);
  }
  static VlanPolicy access(uint16_t tag);
  static VlanPolicy trunk(const std::vector<uint16_t>& trunks);  // empty = all
  static VlanPolicy native(VlanMode mode, uint16_t tag, const std::vector<uint16_t>& trunks);

  VlanMode mode() const { return mode_; }
  uint16_t tag() const { return tag_; }
  bool trunks_all() const { return trunks_all_; }
  std::vector<uint16_t> trunk_list() const;

  // The VLAN an arriving frame belongs to, or kVlanDrop when this port does not admit it.
  int ingress_vlan(const FrameMeta& f) const {
    const bool untagged = !f.tagged || f.tag_vid() == 0;
    switch (mode_) {
      case VlanMode::kAccess:
        return untagged ? tag_ : kVlanDrop;
      case VlanMode::kTrunk: {
        const uint16_t vid = untagged ? 0 : f.tag_vid();
        return trunks_.test(vid) ? vid : kVlanDrop;
      }
      case VlanMode::kNativeTagged:
      case VlanMode::kNativeUntagged: {
        if (untagged) return tag_;
        const uint16_t vid = f.tag_vid();
        return carries(vid) ? vid : kVlanDrop;
      }
    }
    return kVlanDrop;
  }

  bool carries(uint16_t vid) const {
    if (mode_ == VlanMode::kAccess) return vid == tag_;
    if (mode_ == VlanMode::kTrunk) return trunks_.test(vid);
    return vid == tag_ || trunks_.test(vid);
  }

  // How a frame of VLAN `vid` leaves this port.
  EgressTag egress(uint16_t vid) const {
    if (!carries(vid)) return EgressTag::kNotMember;
    switch (mode_) {
      case VlanMode::kAccess:
        return EgressTag::kUntagged;
      case VlanMode::kTrunk:
        return vid == 0 ? EgressTag::kUntagged : EgressTag::kTagged;
      case VlanMode::kNativeTagged:
        return vid == 0 ? EgressTag::kUntagged : EgressTag::kTagged;
      case VlanMode::kNativeUntagged:
        return vid == tag_ || vid == 0 ? EgressTag::kUntagged : EgressTag::kTagged;
    }
    return EgressTag::kNotMember;
  }

  bool operator==(const VlanPolicy&) const = default;

 private:
  VlanMode mode_ = VlanMode::kTrunk;
  uint16_t tag_ = 0;
  bool trunks_all_ = true;
  std::bitset<kMaxVlan + 1> trunks_;
};

}  // namespace lvs::sw
