// Spanning tree in the control plane: Bridge rstp_enable and the rstp-* keys (validated with
// errors naming key and range, nothing changed), container ports edge by default, rstp/show and
// rstp/clear-bpdu-guard through the Runtime.
#include <gtest/gtest.h>

#include "ctl/commands.hpp"
#include "ctl/config_json.hpp"
#include "ctl/output_format.hpp"
#include "ctl/rstp_config.hpp"
#include "ctl/service.hpp"
#include "ctl/vsctl_args.hpp"
#include "tests/ctl/fake_runtime.hpp"
#include "tests/ctl/vsctl_in_process.hpp"

namespace lvs::ctl {
namespace {

class RstpCommandsTest : public testing::Test {
 protected:
  std::string vsctl(const std::string& line) { return test::run_vsctl(service, line); }
  test::FakeRuntime runtime;
  Service service{default_config(), "", nullptr, &runtime};
};

TEST_F(RstpCommandsTest, RstpEnableIsAColumnKeptInTheDatabase) {
  EXPECT_EQ(vsctl("get bridge br0 rstp_enable"), "false\n");
  EXPECT_EQ(vsctl("set bridge br0 rstp_enable=true"), "");
  EXPECT_EQ(vsctl("get bridge br0 rstp_enable"), "true\n");
  EXPECT_EQ(vsctl("set bridge br0 rstp_enable=yes"),
            "ERROR: rstp_enable: \"yes\" is not true or false");
  auto round = config_from_json(to_json(service.config()));
  ASSERT_TRUE(round);
  EXPECT_TRUE(round->bridges[0].rstp_enable);
  EXPECT_EQ(vsctl("clear bridge br0 rstp_enable"), "");
  EXPECT_FALSE(service.config().bridges[0].rstp_enable);
}

TEST_F(RstpCommandsTest, BadValuesAreRefusedNamingKeyAndRange) {
  EXPECT_EQ(vsctl("set bridge br0 other_config:rstp-priority=4096 other_config:rstp-hello-time=1"),
            "");
  EXPECT_EQ(vsctl("set bridge br0 other_config:rstp-priority=5000"),
            "ERROR: bridge br0: other_config:rstp-priority \"5000\" is not a multiple of 4096");
  EXPECT_EQ(vsctl("set bridge br0 other_config:rstp-priority=65536"),
            "ERROR: bridge br0: other_config:rstp-priority \"65536\" is not in 0..61440 in steps "
            "of 4096");
  EXPECT_EQ(vsctl("set bridge br0 other_config:rstp-max-age=41"),
            "ERROR: bridge br0: other_config:rstp-max-age \"41\" is not in 6..40");
  EXPECT_EQ(vsctl("set bridge br0 other_config:rstp-forward-delay=3"),
            "ERROR: bridge br0: other_config:rstp-forward-delay \"3\" is not in 4..30");
  EXPECT_EQ(vsctl("set bridge br0 other_config:rstp-forward-delay=4"),
            "ERROR: bridge br0: other_config:rstp-max-age 20 is more than 2 x "
            "(rstp-forward-delay 4 - 1) (802.1D-2004 17.14)");
  EXPECT_EQ(vsctl("set bridge br0 other_config:rstp-address=01:00:00:00:00:01"),
            "ERROR: bridge br0: other_config:rstp-address \"01:00:00:00:00:01\" is not a unicast "
            "MAC address");
  vsctl("add-port br0 p1");
  EXPECT_EQ(vsctl("set port p1 other_config:rstp-port-priority=100"),
            "ERROR: port p1: other_config:rstp-port-priority \"100\" is not a multiple of 16");
  EXPECT_EQ(vsctl("set port p1 other_config:rstp-path-cost=0"),
            "ERROR: port p1: other_config:rstp-path-cost \"0\" is not in 1..200000000");
  EXPECT_EQ(vsctl("set port p1 other_config:rstp-admin-edge=on"),
            "ERROR: port p1: other_config:rstp-admin-edge \"on\" is not true or false");
  EXPECT_EQ(vsctl("set port p1 other_config:rstp-root-guard=true other_config:rstp-path-cost=4"),
            "");
  // Nothing changed by the refused ones.
  EXPECT_EQ(service.config().bridges[0].other_config.at(kRstpPriority), "4096");
  EXPECT_FALSE(service.config().bridges[0].other_config.count(kRstpMaxAge));
}

TEST_F(RstpCommandsTest, ContainerPortsAreAdminEdgeWithBpduGuardByDefault) {
  PortConfig p;
  p.name = "veth1";
  auto plain = rstp_port_options(p);
  ASSERT_TRUE(plain);
  EXPECT_FALSE(plain->admin_edge);
  EXPECT_FALSE(plain->bpdu_guard);
  p.external_ids[kContainerId] = "web";
  auto c = rstp_port_options(p);
  EXPECT_TRUE(c->admin_edge);
  EXPECT_TRUE(c->bpdu_guard);
  p.external_ids.clear();
  p.external_ids["docker_endpoint"] = "abc";
  EXPECT_TRUE(rstp_port_options(p)->admin_edge);
  p.other_config[kRstpAdminEdge] = "false";
  EXPECT_FALSE(rstp_port_options(p)->admin_edge);
  EXPECT_FALSE(rstp_port_options(p)->bpdu_guard);
}

TEST_F(RstpCommandsTest, ShowAndClearBpduGuardGoToTheRunningSwitch) {
  EXPECT_EQ(vsctl("rstp/show br0"),
            "ERROR: rstp/show: bridge br0 does not run RSTP (vsctl set Bridge br0 "
            "rstp_enable=true)");
  vsctl("set bridge br0 rstp_enable=true -- add-port br0 p1");
  RstpBridgeRow row;
  row.bridge_id = "8000.020000000001";
  row.root_id = "1000.020000000009";
  row.root_path_cost = 20000;
  row.root_port = "p1";
  row.max_age = 20;
  row.hello_time = 2;
  row.forward_delay = 15;
  row.ports.push_back(RstpPortRow{.name = "p1", .role = "root", .state = "forwarding",
                                  .port_id = "8002", .path_cost = 20000, .rx_bpdus = 7,
                                  .tx_bpdus = 1});
  row.ports.push_back(RstpPortRow{.name = "br0", .role = "designated", .state = "discarding",
                                  .port_id = "8001", .path_cost = 20000, .bpdu_guard_tripped = true});
  runtime.rstp["br0"] = row;
  const std::string out = vsctl("rstp/show");
  EXPECT_NE(out.find("Designated root:  1000.020000000009\n"), std::string::npos) << out;
  EXPECT_NE(out.find("Root port:        p1\n"), std::string::npos) << out;
  EXPECT_NE(out.find("  p1               root       forwarding  8002  20000      no   rstp        7        1\n"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("bpdu-guard"), std::string::npos) << out;
  EXPECT_NE(vsctl("--format json rstp/show br0").find("\"root_port\":\"p1\""), std::string::npos);
  EXPECT_EQ(vsctl("rstp/clear-bpdu-guard p1"), "");
  EXPECT_EQ(runtime.bpdu_guard_cleared, std::vector<std::string>{"br0/p1"});
  EXPECT_EQ(vsctl("rstp/clear-bpdu-guard nope"), "ERROR: rstp/clear-bpdu-guard: no port nope");
}

}  // namespace
}  // namespace lvs::ctl
