#include "ctl/vlan_mapping.hpp"

namespace lvs::ctl {

sw::VlanPolicy to_vlan_policy(const PortConfig& p) {
  std::vector<uint16_t> trunks(p.trunks.begin(), p.trunks.end());
  const uint16_t tag = static_cast<uint16_t>(p.tag.value_or(0));
  std::string mode = p.vlan_mode;
  if (mode.empty()) mode = p.tag ? "access" : "trunk";
  if (mode == "access") return sw::VlanPolicy::access(tag);
  if (mode == "trunk") return sw::VlanPolicy::trunk(trunks);
  return sw::VlanPolicy::native(*sw::parse_vlan_mode(mode), tag, trunks);
}

}  // namespace lvs::ctl
