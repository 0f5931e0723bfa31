// Which FDB entries kernel offload may carry, and how (ctl/offload/offload_plan.hpp): no kernel.
#include "ctl/offload/offload_plan.hpp"

#include <gtest/gtest.h>

namespace lvs::ctl {
namespace {

sw::FdbEntry entry(uint64_t mac, uint16_t vlan, sw::PortIndex port, uint64_t age_ms = 0) {
  return sw::FdbEntry{sw::MacAddr::from_u64(mac), vlan, port, false, age_ms};
}
constexpr uint64_t kA = 0x020000000001, kB = 0x020000000002, kC = 0x020000000003;
constexpr uint64_t kAging = 300'000;
constexpr OffloadBridge kBr = 3;  // the bridge's number in the kernel's keys

std::vector<OffloadPort> three_ports() {
  return {OffloadPort{"p1", 0, 11, sw::VlanPolicy::access(10)},
          OffloadPort{"p2", 1, 12, sw::VlanPolicy::access(10)},
          OffloadPort{"t3", 2, 13, sw::VlanPolicy::trunk({10, 20})}};
}

TEST(OffloadPlan, AccessToAccessSameVlanIsCarriedUntouched) {
  auto plan = plan_offload(kBr, three_ports(), {entry(kA, 10, 0), entry(kB, 10, 1)}, kAging);
  const auto to_b = plan.flows.find(OffloadKey{11, kB, 0});
  ASSERT_NE(to_b, plan.flows.end());
  EXPECT_EQ(to_b->second.out_port, "p2");
  EXPECT_EQ(to_b->second.out_ifindex, 12);
  EXPECT_EQ(to_b->second.action, OffloadAction::kNone);
  // Never back to the port the destination is on.
  EXPECT_FALSE(plan.flows.count(OffloadKey{12, kB, 0}));
  // The stations the kernel checks: each on its own port, once per VLAN.
  EXPECT_EQ(plan.stations.at(OffloadStationKey{kA, 10, kBr}).ifindex, 11);
  EXPECT_EQ(plan.stations.at(OffloadStationKey{kB, 10, kBr}).ifindex, 12);
  EXPECT_EQ(plan.stations.size(), 2u);
  // Every port's ingress VLAN for VLAN 10: untagged on the access ports, tagged on the trunk.
  using PV = std::map<OffloadPortTag, OffloadPortVlan>;
  EXPECT_EQ(
      plan.port_vlans,
      (PV{{{11, 0}, {10, kBr}}, {{12, 0}, {10, kBr}}, {{13, kOffloadTagged | 10}, {10, kBr}}}));
  EXPECT_EQ(to_b->second.bridge, kBr);
}

// The veth internal port (its switch end, ifindex 14): frames for the host leave by the switch
// end's egress (LVS_OUT_EGRESS), frames from the host go into the container veth's peer.
TEST(OffloadPlan, TheVethInternalPortIsReachedByItsEgress) {
  auto ports = three_ports();
  ports.push_back(OffloadPort{"br", 3, 14, sw::VlanPolicy::access(10), OffloadRedirect::kEgress});
  auto plan = plan_offload(kBr, ports, {entry(kA, 10, 0), entry(kB, 10, 3)}, kAging);
  const auto to_host = plan.flows.find(OffloadKey{11, kB, 0});
  ASSERT_NE(to_host, plan.flows.end());
  EXPECT_EQ(to_host->second.out_port, "br");
  EXPECT_EQ(to_host->second.out_ifindex, 14);
  EXPECT_EQ(to_host->second.redirect, OffloadRedirect::kEgress);
  const auto from_host = plan.flows.find(OffloadKey{14, kA, 0});
  ASSERT_NE(from_host, plan.flows.end());
  EXPECT_EQ(from_host->second.out_ifindex, 11);
  EXPECT_EQ(from_host->second.redirect, OffloadRedirect::kPeer);
  EXPECT_EQ(plan.stations.at(OffloadStationKey{kB, 10, kBr}).ifindex, 14);
}

TEST(OffloadPlan, TunnelPortsReachContainersButNeverEachOther) {
  const int t1 = kOffloadTunnelBit | 7 << 12 | 1, t2 = kOffloadTunnelBit | 7 << 12 | 2;
  std::vector<OffloadPort> ports{OffloadPort{"c1", 0, 11, sw::VlanPolicy::access(0)},
                                 OffloadPort{"vx1", 1, t1, sw::VlanPolicy::trunk({})},
                                 OffloadPort{"vx2", 2, t2, sw::VlanPolicy::trunk({})}};
  auto plan = plan_offload(kBr, ports, {entry(kA, 0, 0), entry(kB, 0, 1), entry(kC, 0, 2)}, kAging);
  EXPECT_EQ(plan.flows.at(OffloadKey{11, kB, 0}).out_ifindex, t1);  // container -> tunnel
  EXPECT_EQ(plan.flows.at(OffloadKey{t1, kA, 0}).out_ifindex, 11);  // tunnel -> container
  EXPECT_EQ(plan.stations.at(OffloadStationKey{kB, 0, kBr}).ifindex, t1);
  EXPECT_FALSE(plan.flows.count(OffloadKey{t1, kC, 0}));  // split horizon
  EXPECT_FALSE(plan.flows.count(OffloadKey{t2, kB, 0}));
}

TEST(OffloadPlan, TrunkPushesAndPopsTheTag) {
  auto plan = plan_offload(kBr, three_ports(), {entry(kA, 10, 0), entry(kC, 10, 2)}, kAging);
  const auto to_c = plan.flows.find(OffloadKey{11, kC, 0});
  ASSERT_NE(to_c, plan.flows.end());
  EXPECT_EQ(to_c->second.action, OffloadAction::kPush);
  EXPECT_EQ(to_c->second.push_vid, 10);
  const auto to_a = plan.flows.find(OffloadKey{13, kA, kOffloadTagged | 10});
  ASSERT_NE(to_a, plan.flows.end());
  EXPECT_EQ(to_a->second.action, OffloadAction::kPop);
  // An untagged frame on the trunk is VLAN 0, not 10: not offloaded to A.
  EXPECT_FALSE(plan.flows.count(OffloadKey{13, kA, 0}));
  EXPECT_EQ(plan.stations.at(OffloadStationKey{kC, 10, kBr}).ifindex, 13);
  EXPECT_EQ(plan.flows.at(OffloadKey{11, kC, 0}).vlan, 10);
}

TEST(OffloadPlan, OtherVlansUnknownAgedMulticastAndIneligiblePortsStayInUserspace) {
  auto plan = plan_offload(kBr, three_ports(),
                           {entry(kA, 20, 2),              // VLAN 20: no access port carries it
                            entry(kB, 10, 1, kAging + 1),  // aged, not yet expired
                            entry(0x01005e000001, 10, 1),  // multicast
                            entry(kC, 10, 7)},             // behind a port not offloaded
                           kAging);
  // Only trunk->... nothing: A on VLAN 20 is reachable from no other VLAN-20 port.
  EXPECT_TRUE(plan.flows.empty());
  EXPECT_EQ(plan.stations.size(), 1u);  // A on the trunk, VLAN 20
  EXPECT_EQ(plan.stations.at(OffloadStationKey{kA, 20, kBr}).port, "t3");
  EXPECT_EQ(plan.port_vlans.size(), 1u);  // only the trunk takes VLAN 20 (tagged)
  EXPECT_EQ(plan.port_vlans.at(OffloadPortTag{13, kOffloadTagged | 20}),
            (OffloadPortVlan{20, kBr}));
}

TEST(OffloadPlan, StationMoveChangesTheEntry) {
  auto before = plan_offload(kBr, three_ports(), {entry(kA, 10, 0), entry(kB, 10, 1)}, kAging);
  auto after = plan_offload(kBr, three_ports(), {entry(kA, 10, 0), entry(kB, 10, 2)}, kAging);
  EXPECT_EQ(before.flows.at(OffloadKey{11, kB, 0}).out_port, "p2");
  EXPECT_EQ(after.flows.at(OffloadKey{11, kB, 0}).out_port, "t3");
  EXPECT_EQ(after.flows.at(OffloadKey{11, kB, 0}).action, OffloadAction::kPush);
  EXPECT_EQ(before.stations.at(OffloadStationKey{kB, 10, kBr}).ifindex, 12);
  EXPECT_EQ(after.stations.at(OffloadStationKey{kB, 10, kBr}).ifindex, 13);
}

// Each bridge is its own L2 domain: one MAC in one VLAN on two bridges is two stations, each on
// its own bridge's port, and each bridge's flows and port VLANs name their bridge.
TEST(OffloadPlan, TheSameMacAndVlanOnTwoBridgesAreTwoStations) {
  const std::vector<OffloadPort> br2{OffloadPort{"q1", 0, 21, sw::VlanPolicy::access(10)},
                                     OffloadPort{"q2", 1, 22, sw::VlanPolicy::access(10)}};
  auto one = plan_offload(kBr, three_ports(), {entry(kA, 10, 0), entry(kB, 10, 1)}, kAging);
  auto two = plan_offload(kBr + 1, br2, {entry(kA, 10, 1), entry(kB, 10, 0)}, kAging);
  // What the sync does with the bridges' plans: merged, no key of one hides the other's.
  one.stations.merge(two.stations);
  one.flows.merge(two.flows);
  one.port_vlans.merge(two.port_vlans);
  EXPECT_TRUE(two.stations.empty() && two.flows.empty() && two.port_vlans.empty());
  EXPECT_EQ(one.stations.size(), 4u);
  EXPECT_EQ(one.stations.at(OffloadStationKey{kA, 10, kBr}).ifindex, 11);
  EXPECT_EQ(one.stations.at(OffloadStationKey{kA, 10, kBr + 1}).ifindex, 22);
  EXPECT_EQ(one.stations.at(OffloadStationKey{kB, 10, kBr + 1}).port, "q1");
  EXPECT_EQ(one.flows.at(OffloadKey{11, kB, 0}).bridge, kBr);
  EXPECT_EQ(one.flows.at(OffloadKey{21, kA, 0}).bridge, kBr + 1);
  EXPECT_EQ(one.flows.at(OffloadKey{21, kA, 0}).out_ifindex, 22);
  EXPECT_EQ(one.port_vlans.at(OffloadPortTag{22, 0}), (OffloadPortVlan{10, kBr + 1}));
}

TEST(OffloadPlan, BridgeNumbersStayWhileTheBridgeIsConfigured) {
  auto bridges = [](std::vector<std::string> names) {
    std::vector<BridgeConfig> out;
    for (auto& n : names) out.push_back(BridgeConfig{.name = n});
    return out;
  };
  using N = std::map<std::string, OffloadBridge>;
  N numbers;
  number_offload_bridges(bridges({"b", "a"}), numbers);
  EXPECT_EQ(numbers, (N{{"b", 0}, {"a", 1}}));
  // b goes: a keeps 1, c takes the free 0, d the next.
  number_offload_bridges(bridges({"a", "c", "d"}), numbers);
  EXPECT_EQ(numbers, (N{{"a", 1}, {"c", 0}, {"d", 2}}));
}

TEST(OffloadPlan, IngressTagsFollowTheVlanMode) {
  using V = std::vector<uint16_t>;
  EXPECT_EQ(offload_ingress_tags(sw::VlanPolicy::access(10), 10), V{0});
  EXPECT_EQ(offload_ingress_tags(sw::VlanPolicy::access(10), 20), V{});
  EXPECT_EQ(offload_ingress_tags(sw::VlanPolicy::trunk({}), 0), V{0});
  EXPECT_EQ(offload_ingress_tags(sw::VlanPolicy::trunk({}), 5), V{kOffloadTagged | 5});
  EXPECT_EQ(offload_ingress_tags(sw::VlanPolicy::native(sw::VlanMode::kNativeUntagged, 7, {}), 7),
            (V{0, kOffloadTagged | 7}));
}

TEST(OffloadPlan, PortsAndBridgesThatNeedTheSwitchAreNotEligible) {
  BridgeConfig b;
  b.name = "br";
  PortConfig p;
  p.name = "v1";
  std::string why;
  EXPECT_TRUE(offload_bridge_eligible(b));
  EXPECT_TRUE(offload_port_eligible(b, p));
  auto refused = [&](PortConfig q, const std::string& reason) {
    why.clear();
    EXPECT_FALSE(offload_port_eligible(b, q, &why)) << reason;
    EXPECT_EQ(why, reason);
  };
  PortConfig q = p;
  q.type = "internal";  // whether its device is a veth pair is the caller's to check
  EXPECT_TRUE(offload_port_eligible(b, q));
  q.ingress_policing_rate = 1000;
  refused(q, "rate-limited");
  q = p;
  q.type = "vxlan";  // whether it is on the kernel vxlan device is the caller's to check
  EXPECT_TRUE(offload_port_eligible(b, q));
  q.type = "gre";
  refused(q, "not a system, internal or vxlan port");
  q = p;
  q.protected_port = true;
  refused(q, "protected");
  q = p;
  q.ingress_policing_rate = 1000;
  refused(q, "rate-limited");
  q = p;
  q.other_config[kStormBroadcastPps] = "100";
  refused(q, "storm-controlled");
  q = p;
  q.admin_up = false;
  refused(q, "administratively down");
  b.rstp_enable = true;
  EXPECT_FALSE(offload_bridge_eligible(b, &why));
  EXPECT_EQ(why, "RSTP is enabled");
}

}  // namespace
}  // namespace lvs::ctl
