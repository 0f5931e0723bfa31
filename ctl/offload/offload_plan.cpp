#include "ctl/offload/offload_plan.hpp"

#include <set>

#include "switch/frame.hpp"

namespace lvs::ctl {

bool offload_bridge_eligible(const BridgeConfig& b, std::string* why) {
  const char* reason = b.rstp_enable        ? "RSTP is enabled"
                       : !b.mirrors.empty() ? "the bridge has mirrors"
                                            : nullptr;
  if (reason && why) *why = reason;
  return !reason;
}

bool offload_port_eligible(const BridgeConfig& b, const PortConfig& p, std::string* why) {
  const char* reason = nullptr;
  // vxlan: eligible on the kernel vxlan device only (the sync checks the open port's kind).
  if (!p.type.empty() && p.type != "system" && p.type != "internal" && p.type != "vxlan")
    reason = "not a system, internal or vxlan port";
  else if (!p.admin_up)
    reason = "administratively down";
  else if (p.protected_port)
    reason = "protected";
  else if (p.ingress_policing_rate != 0 || p.egress_kbit(kEgressRateKbps) != 0)
    reason = "rate-limited";
  for (const char* key : {kStormBroadcastPps, kStormMulticastPps, kStormUnknownUnicastPps})
    if (!reason && p.other_config.count(key)) reason = "storm-controlled";
  for (const auto& m : b.mirrors)
    if (!reason && m.output_port == p.name) reason = "a mirror's output";
  if (reason && why) *why = reason;
  return !reason;
}

std::vector<uint16_t> offload_ingress_tags(const sw::VlanPolicy& policy, uint16_t vid) {
  std::vector<uint16_t> tags;
  sw::FrameMeta f{};
  f.valid = true;
  if (policy.ingress_vlan(f) == vid) tags.push_back(0);
  if (vid != 0) {
    f.tagged = true;
    f.tci = vid;
    if (policy.ingress_vlan(f) == vid) tags.push_back(kOffloadTagged | vid);
  }
  return tags;
}

void number_offload_bridges(const std::vector<BridgeConfig>& bridges,
                            std::map<std::string, OffloadBridge>& numbers) {
  std::set<std::string> present;
  for (const auto& b : bridges) present.insert(b.name);
  std::set<OffloadBridge> used;
  for (auto n = numbers.begin(); n != numbers.end();)
    if (present.count(n->first)) {
      used.insert(n->second);
      ++n;
    } else {
      n = numbers.erase(n);
    }
  OffloadBridge next = 0;
  for (const auto& b : bridges) {
    if (numbers.count(b.name)) continue;
    while (used.count(next)) ++next;
    numbers[b.name] = next;
    used.insert(next);
  }
}

OffloadPlan plan_offload(OffloadBridge bridge, const std::vector<OffloadPort>& ports,
                         const std::vector<sw::FdbEntry>& fdb, uint64_t aging_ms,
                         size_t max_entries) {
  OffloadPlan plan;
  std::map<sw::PortIndex, const OffloadPort*> by_index;
  for (const auto& p : ports) by_index[p.index] = &p;
  for (const auto& e : fdb) {
    if (plan.flows.size() >= max_entries || plan.stations.size() >= max_entries ||
        plan.port_vlans.size() >= max_entries)
      break;
    if (e.mac.is_multicast() || e.mac.is_zero()) continue;
    if (!e.is_static && e.age_ms > aging_ms) continue;
    auto at = by_index.find(e.port);
    if (at == by_index.end()) continue;  // behind a port that stays in userspace
    const OffloadPort& dst = *at->second;
    const uint64_t mac = e.mac.to_u64();
    if (offload_ingress_tags(dst.vlan, e.vlan).empty()) continue;  // never sends on it there
    plan.stations[OffloadStationKey{mac, e.vlan, bridge}] =
        OffloadStation{dst.name, dst.index, dst.ifindex};
    for (const auto& in : ports)
      for (uint16_t tag : offload_ingress_tags(in.vlan, e.vlan))
        if (plan.port_vlans.size() < max_entries)
          plan.port_vlans[OffloadPortTag{in.ifindex, tag}] = OffloadPortVlan{e.vlan, bridge};
    const sw::EgressTag out = dst.vlan.egress(e.vlan);
    if (out == sw::EgressTag::kNotMember) continue;
    for (const auto& in : ports) {
      if (in.index == dst.index) continue;
      // Tunnel to tunnel: never (split horizon), so no flow.
      if (offload_is_tunnel(in.ifindex) && offload_is_tunnel(dst.ifindex)) continue;
      for (uint16_t tag : offload_ingress_tags(in.vlan, e.vlan)) {
        if (plan.flows.size() >= max_entries) break;
        OffloadFlow flow{in.name, dst.name,    dst.ifindex, e.vlan, bridge, OffloadAction::kNone,
                         0,       dst.redirect};
        const bool tagged_in = tag != 0, tagged_out = out == sw::EgressTag::kTagged;
        if (tagged_in && !tagged_out) flow.action = OffloadAction::kPop;
        if (!tagged_in && tagged_out) {
          flow.action = OffloadAction::kPush;
          flow.push_vid = e.vlan;
        }
        plan.flows[OffloadKey{in.ifindex, mac, tag}] = flow;
      }
    }
  }
  return plan;
}

}  // namespace lvs::ctl
