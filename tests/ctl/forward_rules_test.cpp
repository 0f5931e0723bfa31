// The FORWARD accept and isolation rules (ctl/forward_rules.hpp) and the plugin's body limits
// (ctl/docker_plugin.hpp): pure functions, golden text.
#include "ctl/forward_rules.hpp"

#include <gtest/gtest.h>

#include "ctl/docker_plugin.hpp"

namespace lvs::ctl {
namespace {

Config two_networks() {
  Config c;
  for (const char* n : {"a", "b"}) {
    BridgeConfig b;
    b.name = std::string("br") + n;
    b.other_config[kNat] = "true";
    b.ports.push_back(local_port_config(b.name));
    PortConfig gw;
    gw.name = std::string("gw") + n;
    gw.type = "internal";
    gw.options[kIpOption] = std::string("10.") + (n[0] == 'a' ? "1" : "2") + ".0.1/24";
    b.ports.push_back(gw);
    c.bridges.push_back(b);
  }
  return c;
}

TEST(ForwardRulesTest, GatewaysAreAcceptedAndIsolatedFromEachOther) {
  EXPECT_EQ(forward_ruleset(two_networks()),
            "*filter\n:LITE-VSWITCH - [0:0]\n-F LITE-VSWITCH\n"
            "-A LITE-VSWITCH -i gwa -o gwb -j DROP\n"
            "-A LITE-VSWITCH -i gwb -o gwa -j DROP\n"
            "-A LITE-VSWITCH -o gwa -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT\n"
            "-A LITE-VSWITCH -o gwa -m conntrack --ctstate DNAT -j ACCEPT\n"
            "-A LITE-VSWITCH -i gwa -j ACCEPT\n"
            "-A LITE-VSWITCH -o gwb -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT\n"
            "-A LITE-VSWITCH -o gwb -m conntrack --ctstate DNAT -j ACCEPT\n"
            "-A LITE-VSWITCH -i gwb -j ACCEPT\n"
            "COMMIT\n");
  EXPECT_EQ(internal_ports(two_networks()), (std::vector<std::string>{"bra", "gwa", "brb", "gwb"}));
}

TEST(ForwardRulesTest, NoNatNoRulesAndLocalnetOnlyWherePortsArePublished) {
  Config c = two_networks();
  EXPECT_TRUE(localnet_gateways(c).empty());
  PortConfig web;
  web.name = "web";
  web.external_ids[kContainerIp] = "10.2.0.2/24";
  web.external_ids[kPublish] = "8080:80";
  c.bridges[1].ports.push_back(web);
  EXPECT_EQ(localnet_gateways(c), std::vector<std::string>{"gwb"});
  for (auto& b : c.bridges) b.other_config.erase(kNat);
  EXPECT_EQ(forward_ruleset(c), "");
  EXPECT_EQ(forward_ruleset(Config{}), "");
}

TEST(ForwardRulesTest, InternalNetworksRouteOnlyWithinTheirSubnet) {
  Config c = two_networks();
  c.bridges[1].other_config.erase(kNat);
  c.bridges[1].ports[1].external_ids[kDockerInternal] = "true";
  c.bridges[1].ports[1].options[kIpOption] = "10.2.0.1/24";
  EXPECT_EQ(forward_ruleset(c),
            "*filter\n:LITE-VSWITCH - [0:0]\n-F LITE-VSWITCH\n"
            "-A LITE-VSWITCH -i gwb ! -d 10.2.0.0/24 -j DROP\n"
            "-A LITE-VSWITCH -o gwb ! -s 10.2.0.0/24 -j DROP\n"
            "-A LITE-VSWITCH -o gwa -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT\n"
            "-A LITE-VSWITCH -o gwa -m conntrack --ctstate DNAT -j ACCEPT\n"
            "-A LITE-VSWITCH -i gwa -j ACCEPT\n"
            "COMMIT\n");
  c.bridges[0].other_config.erase(kNat);  // only the internal network: its rules stay
  EXPECT_NE(forward_ruleset(c).find("-i gwb ! -d 10.2.0.0/24 -j DROP"), std::string::npos);
}

TEST(DockerPluginBodyTest, SizeDepthAndSyntaxAreChecked) {
  EXPECT_TRUE(parse_plugin_body(""));
  EXPECT_EQ((*parse_plugin_body(R"({"PoolID":"p"})"))["PoolID"], "p");
  EXPECT_EQ(parse_plugin_body("{\"a\":").error().code, kErrBadRequest);
  EXPECT_EQ(parse_plugin_body(std::string(20, '[') + std::string(20, ']')).error().message,
            "request body nests deeper than 16 levels (at byte 16)");
  EXPECT_TRUE(parse_plugin_body(std::string(10, '[') + std::string(10, ']')));
  EXPECT_EQ(parse_plugin_body(std::string(kMaxBodyBytes + 1, ' ')).error().code, kErrTooLarge);
}

}  // namespace
}  // namespace lvs::ctl
