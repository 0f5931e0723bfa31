#include "switch/flood_table.hpp"

#include <gtest/gtest.h>

namespace lvs::sw {
namespace {

std::vector<PortIndex> ports_of(const FloodTable& t, uint16_t vid) {
  std::vector<PortIndex> out;
  for (auto m : t.for_vlan(vid)) out.push_back(m.port);
  return out;
}

TEST(FloodTable, EachVlanFloodsToThePortsThatCarryIt) {
  FloodTable t;
  t.build({VlanPolicy::access(10), VlanPolicy::access(20), VlanPolicy::trunk({}),
           VlanPolicy::trunk({20, 30}), VlanPolicy::access(10)},
          {true, true, true, true, false});  // port 4 is down
  EXPECT_EQ(ports_of(t, 10), (std::vector<PortIndex>{0, 2}));
  EXPECT_EQ(ports_of(t, 20), (std::vector<PortIndex>{1, 2, 3}));
  EXPECT_EQ(ports_of(t, 30), (std::vector<PortIndex>{2, 3}));
  EXPECT_EQ(ports_of(t, 999), (std::vector<PortIndex>{2}));
  EXPECT_EQ(ports_of(t, 0), (std::vector<PortIndex>{2}));
  for (auto m : t.for_vlan(20)) EXPECT_EQ(m.tagged, m.port != 1);
  for (auto m : t.for_vlan(0)) EXPECT_FALSE(m.tagged);  // VLAN 0 leaves trunks untagged
}

TEST(FloodTable, NativeUntaggedTrunkWithoutListSendsItsNativeVlanUntagged) {
  FloodTable t;
  t.build({VlanPolicy::native(VlanMode::kNativeUntagged, 10, {}), VlanPolicy::access(10)},
          {true, true});
  ASSERT_EQ(ports_of(t, 10), (std::vector<PortIndex>{0, 1}));
  for (auto m : t.for_vlan(10)) EXPECT_FALSE(m.tagged);
  ASSERT_EQ(ports_of(t, 11), (std::vector<PortIndex>{0}));
  EXPECT_TRUE(t.for_vlan(11)[0].tagged);
}

}  // namespace
}  // namespace lvs::sw
