// vsctl trace end to end: the real vswitchd (in a namespace of its own) traces frames through
// its running bridge; errors name what is wrong and exit non-zero (label "integration", root).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tests/support/daemon_fixture.hpp"

namespace lvs::test {
namespace {

class TraceDaemonTest : public DaemonFixture {};

TEST_F(TraceDaemonTest, TracesThroughTheRunningBridgeAndNamesBadWords) {
  start("trc");
  std::string out;
  ASSERT_EQ(vsctl("add-port br0 tr2 -- set interface tr2 type=internal", &out), 0) << out;
  ASSERT_EQ(vsctl("add-port br0 tr3 tag=10 -- set interface tr3 type=internal", &out), 0) << out;

  // br0's own port is a trunk of every VLAN: a tagged broadcast of VLAN 10 reaches tr3, popped;
  // tr2 (a trunk too) keeps the tag.
  ASSERT_EQ(vsctl("trace br0 in_port=br0 dl_src=02:00:00:00:00:01 dl_dst=ff:ff:ff:ff:ff:ff "
                  "dl_vlan=10",
                  &out),
            0)
      << out;
  EXPECT_NE(out.find("ingress_vlan: VLAN 10\n"), std::string::npos) << out;
  EXPECT_NE(out.find("flood: tr2, tr3\n"), std::string::npos) << out;
  EXPECT_NE(out.find("Verdict: output to tr2 (keep tag VLAN 10 PCP 0), tr3 (pop VLAN 10)\n"),
            std::string::npos)
      << out;

  // The same as JSON, from a hex frame (untagged: VLAN 0 on the trunk, not carried by tr3).
  ASSERT_EQ(vsctl("--format json trace br0 in_port=br0 "
                  "ffffffffffff0200000000010806" +
                      std::string(92, '0'),
                  &out),
            0)
      << out;
  const auto t = nlohmann::json::parse(out);
  EXPECT_EQ(t["outputs"], nlohmann::json::parse(
                              R"([{"port": "tr2", "action": "none", "vlan": null, "pcp": null,
                                   "egress_limit": null}])"))
      << out;
  EXPECT_EQ(t["flow"]["dl_type"], "0x0806");

  // Nothing was learnt by tracing.
  ASSERT_EQ(vsctl("fdb/show br0", &out), 0);
  EXPECT_EQ(out.find("02:00:00:00:00:01"), std::string::npos) << out;

  EXPECT_NE(vsctl("trace br0 in_port=nope dl_src=02:00:00:00:00:01 dl_dst=ff:ff:ff:ff:ff:ff", &out),
            0);
  EXPECT_NE(out.find("trace: bridge br0 does not have a port nope"), std::string::npos) << out;
  EXPECT_NE(vsctl("trace br9 in_port=br0 dl_src=02:00:00:00:00:01 dl_dst=ff:ff:ff:ff:ff:ff", &out),
            0);
  EXPECT_NE(out.find("no bridge named br9"), std::string::npos) << out;
  EXPECT_NE(vsctl("trace br0 in_port=br0 dl_src=02:00:00:00:00:01 dl_dst=ff:ff:ff:ff:ff:ff "
                  "dl_vlan=5000",
                  &out),
            0);
  EXPECT_NE(out.find("trace: dl_vlan: \"5000\" is not a VLAN id (0..4095)"), std::string::npos)
      << out;
}

}  // namespace
}  // namespace lvs::test
