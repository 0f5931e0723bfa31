// Every ingress mode x frame kind x egress mode, flooded and unicast. The expectations are what
// Open vSwitch 3.1's NORMAL action did on this machine, frame by frame (../shared/DESIGN.md):
// written out by hand below rather than derived from the code under test.
#include <gtest/gtest.h>

#include <map>
#include <optional>

#include "tests/support/bridge_harness.hpp"

namespace lvs::test {
namespace {

using sw::VlanMode;
using sw::VlanPolicy;

struct Mode {
  const char* name;
  VlanPolicy policy;
};
const std::vector<Mode>& modes() {
  static const std::vector<Mode> m = {
      {"access10", VlanPolicy::access(10)},
      {"trunk10_20", VlanPolicy::trunk({10, 20})},
      {"trunk_all", VlanPolicy::trunk({})},
      {"native_tagged10_20", VlanPolicy::native(VlanMode::kNativeTagged, 10, {20})},
      {"native_untagged10_20", VlanPolicy::native(VlanMode::kNativeUntagged, 10, {20})},
  };
  return m;
}

struct Kind {
  const char* name;
  std::optional<uint16_t> vid;
  uint8_t pcp;
};
const std::vector<Kind>& kinds() {
  static const std::vector<Kind> k = {
      {"untagged", std::nullopt, 0},
      {"priority5", 0, 5},
      {"tag10", 10, 3},
      {"tag20", 20, 3},
      {"tag30", 30, 3},
  };
  return k;
}

// Ingress: mode -> frame kind -> VLAN (-1 = dropped).
const std::map<std::string, std::map<std::string, int>> kIngress = {
    {"access10",
     {{"untagged", 10}, {"priority5", 10}, {"tag10", -1}, {"tag20", -1}, {"tag30", -1}}},
    {"trunk10_20",
     {{"untagged", -1}, {"priority5", -1}, {"tag10", 10}, {"tag20", 20}, {"tag30", -1}}},
    {"trunk_all", {{"untagged", 0}, {"priority5", 0}, {"tag10", 10}, {"tag20", 20}, {"tag30", 30}}},
    {"native_tagged10_20",
     {{"untagged", 10}, {"priority5", 10}, {"tag10", 10}, {"tag20", 20}, {"tag30", -1}}},
    {"native_untagged10_20",
     {{"untagged", 10}, {"priority5", 10}, {"tag10", 10}, {"tag20", 20}, {"tag30", -1}}},
};
// Egress: mode -> VLAN -> 'U' untagged, 'T' tagged, '-' not sent.
const std::map<std::string, std::map<int, char>> kEgress = {
    {"access10", {{0, '-'}, {10, 'U'}, {20, '-'}, {30, '-'}}},
    {"trunk10_20", {{0, '-'}, {10, 'T'}, {20, 'T'}, {30, '-'}}},
    {"trunk_all", {{0, 'U'}, {10, 'T'}, {20, 'T'}, {30, 'T'}}},
    {"native_tagged10_20", {{0, '-'}, {10, 'T'}, {20, 'T'}, {30, '-'}}},
    {"native_untagged10_20", {{0, '-'}, {10, 'U'}, {20, 'T'}, {30, '-'}}},
};

void run_matrix(bool unicast) {
  const std::string dst = unicast ? "02:00:00:00:00:99" : "ff:ff:ff:ff:ff:ff";
  int checked = 0;
  for (const auto& in : modes()) {
    for (const auto& out : modes()) {
      for (const auto& kind : kinds()) {
        SCOPED_TRACE(std::string(in.name) + " -> " + out.name + ", " + kind.name +
                     (unicast ? ", unicast" : ", flood"));
        BridgeHarness br({{"in", in.policy}, {"out", out.policy}});
        const int vlan = kIngress.at(in.name).at(kind.name);
        if (unicast && vlan >= 0)
          br.fdb().add_static(*sw::MacAddr::parse(dst), static_cast<uint16_t>(vlan),
                              br.index("out"), br.datapath().now_ms());
        br.send("in", {.dst = dst, .vid = kind.vid, .pcp = kind.pcp, .payload = 300});
        const auto got = br.received("out");
        const char form = vlan < 0 ? '-' : kEgress.at(out.name).at(vlan);
        if (vlan < 0) {
          EXPECT_EQ(br.drops("in", sw::DropReason::kVlanNotAdmitted), 1u);
        }
        if (form == '-') {
          EXPECT_TRUE(got.empty());
        } else {
          ASSERT_EQ(got.size(), 1u);
          EXPECT_EQ(got[0].dst, dst);
          EXPECT_TRUE(got[0].payload_intact);
          EXPECT_EQ(got[0].tagged, form == 'T');
          if (form == 'T') {
            EXPECT_EQ(got[0].vid, vlan);
            // PCP kept tagged-to-tagged, carried from a priority tag, 0 from untagged.
            EXPECT_EQ(got[0].pcp, kind.vid ? kind.pcp : 0);
          }
          EXPECT_EQ(got[0].length, 14u + 300u + (form == 'T' ? 4u : 0u));
        }
        EXPECT_TRUE(br.received("in").empty());  // never back out of the input port
        ++checked;
      }
    }
  }
  EXPECT_EQ(checked, 125);
}

TEST(VlanMatrix, FloodedFramesFollowOpenVSwitchSemantics) { run_matrix(false); }
TEST(VlanMatrix, UnicastFramesFollowOpenVSwitchSemantics) { run_matrix(true); }

}  // namespace
}  // namespace lvs::test
