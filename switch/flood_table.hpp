#pragma once
// For each VLAN, the ports a flood of that VLAN goes to (admin-up ports that carry it).
// Built by the control plane; VLANs that no port names explicitly share one list.
#include <array>
#include <cstdint>
#include <span>
#include <vector>

#include "switch/types.hpp"
#include "switch/vlan_policy.hpp"

namespace lvs::sw {

class FloodTable {
 public:
  struct Member {
    PortIndex port;
    bool tagged;    // the frame leaves this port tagged
    uint8_t group;        // split-horizon group (0: none)
    bool protected_port;  // a flood from a protected port skips it
  };
  // policies[i] for port i; eligible[i] false for holes and admin-down ports; groups[i] the
  // port's split-horizon group (may be empty: no groups); protected_ports[i] whether it is
  // protected (may be empty: none).
  void build(const std::vector<VlanPolicy>& policies, const std::vector<bool>& eligible,
             const std::vector<uint8_t>& groups = {},
             const std::vector<bool>& protected_ports = {});

  std::span<const Member> for_vlan(uint16_t vid) const {
    const auto& l = lists_[list_of_vlan_[vid & 0x0fff]];
    return {l.data(), l.size()};
  }

 private:
  std::array<uint16_t, kMaxVlan + 1> list_of_vlan_{};
  std::vector<std::vector<Member>> lists_{1};
};

}  // namespace lvs::sw
