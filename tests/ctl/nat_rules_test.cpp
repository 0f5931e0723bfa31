// docker0's NAT as a pure function of the Config: the exact nft script.
#include <gtest/gtest.h>

#include "ctl/nat_rules.hpp"

namespace lvs::ctl {
namespace {

constexpr const char* kHead = "table ip lite_vswitch\ndelete table ip lite_vswitch\n";

TEST(NatRulesTest, DefaultBr0MasqueradesDocker0sSubnet) {
  const Config c = default_config();
  EXPECT_TRUE(nat_needs_forwarding(c));
  EXPECT_EQ(nat_ruleset(c), std::string(kHead) +
                                "table ip lite_vswitch {\n"
                                "\tchain prerouting {\n"
                                "\t\ttype nat hook prerouting priority dstnat; policy accept;\n"
                                "\t}\n"
                                "\tchain output {\n"
                                "\t\ttype nat hook output priority -100; policy accept;\n"
                                "\t}\n"
                                "\tchain published {\n"
                                "\t}\n"
                                "\tchain postrouting {\n"
                                "\t\ttype nat hook postrouting priority srcnat; policy accept;\n"
                                "\t\tip saddr 172.17.0.0/16 oifname != \"br0\" masquerade comment \"br0\"\n"
                                "\t}\n"
                                "}\n");
}

// br0 as default_config() has it, with a container port `name` at 172.17.0.2 publishing `publish`.
Config with_published(const std::string& name, const std::string& publish) {
  Config c = default_config();
  PortConfig p;
  p.name = name;
  p.external_ids[kContainerIp] = "172.17.0.2/16";
  p.external_ids[kPublish] = publish;
  c.bridges[0].ports.push_back(p);
  return c;
}

TEST(NatRulesTest, APortPublishedOnOneHostAddressMatchesThatAddressOnly) {
  const std::string s = nat_ruleset(with_published("vweb", "127.0.0.1:1180:5000/tcp"));
  EXPECT_NE(s.find("\tchain published {\n"
                   "\t\tip daddr 127.0.0.1 tcp dport 1180 dnat to 172.17.0.2:5000 comment \"br0 vweb\"\n\t}\n"),
            std::string::npos)
      << s;
  auto pp = parse_published_port("127.0.0.1:1180:5000");
  ASSERT_TRUE(pp);
  EXPECT_EQ(format_published_port(*pp), "127.0.0.1:1180:5000/tcp");
  EXPECT_EQ(format_published_port(*parse_published_port("1180:5000/udp")), "1180:5000/udp");
}

TEST(NatRulesTest, PublishedPortsGetDnatFromOutsideAndHostPlusHairpin) {
  const Config c = with_published("vweb-1234567", "1180:5000,5353:53/udp");
  const std::string s = nat_ruleset(c);
  EXPECT_NE(s.find("\tchain prerouting {\n\t\ttype nat hook prerouting priority dstnat; policy accept;\n"
                   "\t\tfib daddr type local jump published\n"),
            std::string::npos)
      << s;
  // The host itself, 127.0.0.1 included (route_localnet on the gateway), with loopback sources
  // masqueraded towards the gateway.
  EXPECT_NE(s.find("\tchain output {\n\t\ttype nat hook output priority -100; policy accept;\n"
                   "\t\tfib daddr type local jump published\n"),
            std::string::npos)
      << s;
  EXPECT_NE(s.find("\t\tip saddr 127.0.0.0/8 oifname \"br0\" masquerade comment \"br0 localhost\"\n"),
            std::string::npos)
      << s;
  EXPECT_NE(s.find("\tchain published {\n"
                   "\t\ttcp dport 1180 dnat to 172.17.0.2:5000 comment \"br0 vweb-1234567\"\n"
                   "\t\tudp dport 5353 dnat to 172.17.0.2:53 comment \"br0 vweb-1234567\"\n\t}\n"),
            std::string::npos)
      << s;
  EXPECT_NE(s.find("\t\tip saddr 172.17.0.0/16 ip daddr 172.17.0.2 tcp dport 5000 ct status dnat masquerade "
                   "comment \"br0 vweb-1234567 hairpin\"\n"),
            std::string::npos)
      << s;
}

TEST(NatRulesTest, NoNatAnywhereDeletesTheTable) {
  Config c = default_config();
  c.bridges[0].other_config[kNat] = "false";
  EXPECT_FALSE(nat_needs_forwarding(c));
  EXPECT_EQ(nat_ruleset(c), kHead);
  EXPECT_EQ(nat_ruleset(Config{}), kHead);
}

TEST(NatRulesTest, EveryInternalPortSubnetOfANatBridgeIsMasqueraded) {
  Config c;
  BridgeConfig b;
  b.name = "brt";
  b.other_config[kNat] = "true";
  PortConfig gw = local_port_config("brt");
  gw.options[kIpOption] = "10.77.0.1/24,10.88.1.1/16";
  b.ports.push_back(gw);
  c.bridges.push_back(b);
  const std::string s = nat_ruleset(c);
  EXPECT_NE(s.find("ip saddr 10.77.0.0/24 oifname != \"brt\" masquerade comment \"brt\"\n"), std::string::npos) << s;
  EXPECT_NE(s.find("ip saddr 10.88.0.0/16 oifname != \"brt\" masquerade comment \"brt\"\n"), std::string::npos) << s;
}

}  // namespace
}  // namespace lvs::ctl
