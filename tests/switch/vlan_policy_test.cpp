#include "switch/vlan_policy.hpp"

#include <gtest/gtest.h>

namespace lvs::sw {
namespace {

FrameMeta untagged() { return FrameMeta{.valid = true}; }
FrameMeta tagged(uint16_t vid, uint8_t pcp = 0) {
  FrameMeta f{};
  f.valid = true;
  f.tagged = true;
  f.tci = static_cast<uint16_t>(pcp << 13 | vid);
  return f;
}

TEST(VlanPolicy, AccessPortAdmitsUntaggedAndPriorityTaggedIntoItsVlan) {
  const auto p = VlanPolicy::access(100);
  EXPECT_EQ(p.ingress_vlan(untagged()), 100);
  EXPECT_EQ(p.ingress_vlan(tagged(0, 5)), 100);
}

TEST(VlanPolicy, AccessPortDropsTaggedFramesEvenWithItsOwnVlan) {
  const auto p = VlanPolicy::access(100);
  EXPECT_EQ(p.ingress_vlan(tagged(100)), kVlanDrop);
  EXPECT_EQ(p.ingress_vlan(tagged(200)), kVlanDrop);
}

TEST(VlanPolicy, TrunkWithListDropsUntaggedAndPriorityTagged) {
  const auto p = VlanPolicy::trunk({100, 200});
  EXPECT_EQ(p.ingress_vlan(untagged()), kVlanDrop);
  EXPECT_EQ(p.ingress_vlan(tagged(0)), kVlanDrop);
  EXPECT_EQ(p.ingress_vlan(tagged(100)), 100);
  EXPECT_EQ(p.ingress_vlan(tagged(300)), kVlanDrop);
}

TEST(VlanPolicy, TrunkWithoutListCarriesEveryVlanIncludingZero) {
  const auto p = VlanPolicy::trunk({});
  EXPECT_EQ(p.ingress_vlan(untagged()), 0);
  EXPECT_EQ(p.ingress_vlan(tagged(0)), 0);
  EXPECT_EQ(p.ingress_vlan(tagged(4094)), 4094);
  EXPECT_EQ(p.egress(0), EgressTag::kUntagged);
  EXPECT_EQ(p.egress(7), EgressTag::kTagged);
}

TEST(VlanPolicy, NativeTaggedSendsNativeVlanTagged) {
  const auto p = VlanPolicy::native(VlanMode::kNativeTagged, 10, {20});
  EXPECT_EQ(p.ingress_vlan(untagged()), 10);
  EXPECT_EQ(p.ingress_vlan(tagged(10)), 10);
  EXPECT_EQ(p.ingress_vlan(tagged(20)), 20);
  EXPECT_EQ(p.ingress_vlan(tagged(30)), kVlanDrop);
  EXPECT_EQ(p.egress(10), EgressTag::kTagged);
  EXPECT_EQ(p.egress(20), EgressTag::kTagged);
  EXPECT_EQ(p.egress(30), EgressTag::kNotMember);
}

TEST(VlanPolicy, NativeUntaggedSendsNativeVlanUntaggedAndAcceptsBoth) {
  const auto p = VlanPolicy::native(VlanMode::kNativeUntagged, 10, {20});
  EXPECT_EQ(p.ingress_vlan(untagged()), 10);
  EXPECT_EQ(p.ingress_vlan(tagged(10)), 10);
  EXPECT_EQ(p.egress(10), EgressTag::kUntagged);
  EXPECT_EQ(p.egress(20), EgressTag::kTagged);
}

TEST(VlanPolicy, ParsesAndPrintsModes) {
  for (auto m :
       {VlanMode::kAccess, VlanMode::kTrunk, VlanMode::kNativeTagged, VlanMode::kNativeUntagged})
    EXPECT_EQ(parse_vlan_mode(to_string(m)), m);
  EXPECT_FALSE(parse_vlan_mode("dot1q-tunnel"));
}

TEST(MacAddr, ParsesFormatsAndRejectsGarbage) {
  auto m = MacAddr::parse("02:AB:cd:00:00:ff");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->to_string(), "02:ab:cd:00:00:ff");
  EXPECT_EQ(MacAddr::from_u64(m->to_u64()), *m);
  EXPECT_FALSE(MacAddr::parse("02:ab:cd:00:00"));
  EXPECT_FALSE(MacAddr::parse("02-ab-cd-00-00-ff"));
  EXPECT_FALSE(MacAddr::parse("02:ab:cd:00:00:fg"));
}

}  // namespace
}  // namespace lvs::sw
