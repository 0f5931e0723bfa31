#include "switch/flood_table.hpp"

#include <algorithm>

namespace lvs::sw {

void FloodTable::build(const std::vector<VlanPolicy>& policies, const std::vector<bool>& eligible,
                       const std::vector<uint8_t>& groups,
                       const std::vector<bool>& protected_ports) {
  // Ports that carry every VLAN (trunks without a list) belong to every list; the others only
  // to the VLANs they name. Cost grows with ports + named VLANs, not ports x 4096.
  std::vector<PortIndex> all_vlans;
  std::vector<std::vector<PortIndex>> named(kMaxVlan + 1);
  for (size_t i = 0; i < policies.size(); ++i) {
    if (!eligible[i]) continue;
    const auto p = static_cast<PortIndex>(i);
    const VlanPolicy& pol = policies[i];
    if (pol.mode() != VlanMode::kAccess && pol.trunks_all()) {
      all_vlans.push_back(p);
      // The native VLAN may leave untagged: give it a list of its own.
      if (pol.mode() != VlanMode::kTrunk) named[pol.tag()].push_back(p);
      continue;
    }
    if (pol.mode() != VlanMode::kTrunk) named[pol.tag()].push_back(p);
    for (uint16_t v : pol.trunk_list())
      if (pol.mode() == VlanMode::kTrunk || v != pol.tag()) named[v].push_back(p);
  }
  auto member = [&](PortIndex p, uint16_t vid) {
    return Member{p, policies[p].egress(vid) == EgressTag::kTagged,
                  p < groups.size() ? groups[p] : uint8_t{0},
                  p < protected_ports.size() && protected_ports[p]};
  };
  lists_.assign(1, {});
  list_of_vlan_.fill(0);
  // List 0: the VLANs no port names; their members only differ in tagging for VLAN 0.
  for (PortIndex p : all_vlans) lists_[0].push_back(member(p, 1));
  for (uint16_t vid = 0; vid <= kMaxVlan; ++vid) {
    if (named[vid].empty() && vid != 0) continue;
    std::vector<PortIndex> ports = named[vid];
    ports.insert(ports.end(), all_vlans.begin(), all_vlans.end());
    std::sort(ports.begin(), ports.end());
    ports.erase(std::unique(ports.begin(), ports.end()), ports.end());
    std::vector<Member> list;
    list.reserve(ports.size());
    for (PortIndex p : ports) list.push_back(member(p, vid));
    list_of_vlan_[vid] = static_cast<uint16_t>(lists_.size());
    lists_.push_back(std::move(list));
  }
}

}  // namespace lvs::sw
