#pragma once
// Port tag / trunks / vlan_mode -> lvs::sw::VlanPolicy with Open vSwitch's defaults: no
// vlan_mode means access when a tag is set, trunk otherwise; access without a tag is VLAN 0;
// trunk ignores the tag and access ignores trunks (as OVS does).
#include "ctl/config.hpp"
#include "switch/vlan_policy.hpp"

namespace lvs::ctl {

sw::VlanPolicy to_vlan_policy(const PortConfig& port);

}  // namespace lvs::ctl
