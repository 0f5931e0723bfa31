// Interface options with Open vSwitch's names -> TunnelConfig.
#include "tunnels/tunnel_config.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <vector>

namespace lvs::tunnels {
namespace {

TEST(TunnelConfig, DefaultsFollowOpenVswitch) {
  TunnelConfig c;
  ASSERT_EQ(parse_tunnel_options(TunnelKind::kVxlan, {{"remote_ip", "192.0.2.2"}}, c),
            std::nullopt);
  EXPECT_EQ(c.remote_ip, inet_addr("192.0.2.2"));
  EXPECT_EQ(c.dst_port, 4789);
  EXPECT_EQ(c.ttl, 64);
  EXPECT_TRUE(c.df);
  EXPECT_FALSE(c.csum);
  EXPECT_EQ(c.in_key, 0u);
  EXPECT_EQ(c.out_key, 0u);
  ASSERT_EQ(parse_tunnel_options(TunnelKind::kGre, {{"remote_ip", "192.0.2.2"}}, c), std::nullopt);
  EXPECT_FALSE(c.out_key.has_value());  // GRE sends no key header unless asked
}

TEST(TunnelConfig, KeyInKeyOutKeyTtlTosDfCsum) {
  TunnelConfig c;
  ASSERT_EQ(parse_tunnel_options(TunnelKind::kGre,
                                 {{"remote_ip", "192.0.2.2"},
                                  {"local_ip", "192.0.2.1"},
                                  {"key", "5"},
                                  {"out_key", "0x10"},
                                  {"ttl", "inherit"},
                                  {"tos", "184"},
                                  {"df_default", "false"},
                                  {"csum", "true"}},
                                 c),
            std::nullopt);
  EXPECT_EQ(c.in_key, 5u);
  EXPECT_EQ(c.out_key, 16u);
  EXPECT_TRUE(c.ttl_inherit);
  EXPECT_EQ(c.tos, 184);
  EXPECT_FALSE(c.df);
  EXPECT_TRUE(c.csum);
  EXPECT_EQ(c.local_ip, inet_addr("192.0.2.1"));
}

TEST(TunnelConfig, VxlanTakesAnIpv6Underlay) {
  TunnelConfig c;
  ASSERT_EQ(parse_tunnel_options(TunnelKind::kVxlan,
                                 {{"remote_ip", "fd00::2"}, {"local_ip", "fd00::1"}}, c),
            std::nullopt);
  EXPECT_TRUE(c.ipv6);
  EXPECT_EQ(c.remote_ip, 0u);
  EXPECT_EQ(remote_ip_string(c), "fd00::2");
  EXPECT_EQ(local_ip_string(c), "fd00::1");
  EXPECT_EQ(tunnel_overhead(c), 40 + 8 + 8);
  ASSERT_EQ(parse_tunnel_options(TunnelKind::kVxlan, {{"remote_ip", "192.0.2.2"}}, c),
            std::nullopt);
  EXPECT_FALSE(c.ipv6);
  EXPECT_EQ(tunnel_overhead(c), 20 + 8 + 8);
  for (const auto& bad : std::vector<std::map<std::string, std::string>>{
           {{"remote_ip", "fd00::2"}, {"local_ip", "192.0.2.1"}},
           {{"remote_ip", "192.0.2.2"}, {"local_ip", "fd00::1"}},
           {{"remote_ip", "ff02::1"}},
           {{"remote_ip", "::"}},
           {{"remote_ip", "fd00::2"},
            {"local_ip", "fd00::1"},
            {"underlay", "port"},
            {"underlay_port", "up0"}}}) {
    auto e = parse_tunnel_options(TunnelKind::kVxlan, bad, c);
    EXPECT_TRUE(e) << bad.begin()->second;
  }
  auto e = parse_tunnel_options(TunnelKind::kGre, {{"remote_ip", "fd00::2"}}, c);
  ASSERT_TRUE(e);
  EXPECT_NE(e->find("vxlan only"), std::string::npos) << *e;
}

TEST(TunnelConfig, ErrorsNameTheOption) {
  TunnelConfig c;
  auto e = parse_tunnel_options(TunnelKind::kVxlan, {{"local_ip", "192.0.2.1"}}, c);
  ASSERT_TRUE(e);
  EXPECT_NE(e->find("remote_ip"), std::string::npos);
  e = parse_tunnel_options(TunnelKind::kVxlan, {{"remote_ip", "192.0.2.2"}, {"key", "16777216"}},
                           c);
  ASSERT_TRUE(e);
  EXPECT_NE(e->find("options:key"), std::string::npos);
  e = parse_tunnel_options(TunnelKind::kGre, {{"remote_ip", "192.0.2.2"}, {"dst_port", "1"}}, c);
  ASSERT_TRUE(e);
  EXPECT_NE(e->find("dst_port"), std::string::npos);
  e = parse_tunnel_options(TunnelKind::kGre, {{"remote_ip", "192.0.2.2"}, {"key", "flow"}}, c);
  ASSERT_TRUE(e);
  e = parse_tunnel_options(TunnelKind::kGre, {{"remote_ip", "192.0.2.2"}, {"colour", "red"}}, c);
  ASSERT_TRUE(e);
  EXPECT_NE(e->find("colour"), std::string::npos);
  e = parse_tunnel_options(TunnelKind::kGre, {{"remote_ip", "2001:db8::1"}}, c);
  ASSERT_TRUE(e);
}

TEST(TunnelConfig, UnderlayPortNeedsItsPortAndLocalIp) {
  TunnelConfig c;
  const std::map<std::string, std::string> ok = {{"remote_ip", "192.0.2.2"},
                                                 {"local_ip", "192.0.2.1"},
                                                 {"underlay", "port"},
                                                 {"underlay_port", "eth0"}};
  ASSERT_EQ(parse_tunnel_options(TunnelKind::kGre, ok, c), std::nullopt);
  EXPECT_EQ(c.underlay_port, "eth0");
  ASSERT_EQ(parse_tunnel_options(TunnelKind::kGre,
                                 {{"remote_ip", "192.0.2.2"}, {"underlay", "kernel"}}, c),
            std::nullopt);
  EXPECT_TRUE(c.underlay_port.empty());
  auto without = [&](const std::string& key) {
    auto o = ok;
    o.erase(key);
    return parse_tunnel_options(TunnelKind::kVxlan, o, c);
  };
  auto e = without("underlay_port");
  ASSERT_TRUE(e);
  EXPECT_NE(e->find("needs options:underlay_port"), std::string::npos) << *e;
  e = without("local_ip");
  ASSERT_TRUE(e);
  EXPECT_NE(e->find("needs options:local_ip"), std::string::npos) << *e;
  e = without("underlay");
  ASSERT_TRUE(e);
  EXPECT_NE(e->find("options:underlay_port needs options:underlay=port"), std::string::npos) << *e;
  auto o = ok;
  o["underlay"] = "dpdk";
  e = parse_tunnel_options(TunnelKind::kVxlan, o, c);
  ASSERT_TRUE(e);
  EXPECT_NE(e->find("is not kernel or port"), std::string::npos) << *e;
}

// OVS: a port with local_ip receives only packets to that address, one without is the wildcard
// beside it; only the same (remote_ip, local_ip, key) twice clashes.
TEST(TunnelConfig, ReceiveKeyIsRemoteLocalAndKeyWithWildcardLocal) {
  auto vxlan = [](std::map<std::string, std::string> o) {
    TunnelConfig c;
    EXPECT_EQ(parse_tunnel_options(TunnelKind::kVxlan, o, c), std::nullopt);
    return c;
  };
  const auto any = vxlan({{"remote_ip", "192.0.2.2"}, {"key", "5"}});
  const auto a1 = vxlan({{"remote_ip", "192.0.2.2"}, {"local_ip", "192.0.2.1"}, {"key", "5"}});
  const auto a3 = vxlan({{"remote_ip", "192.0.2.2"}, {"local_ip", "192.0.2.3"}, {"key", "5"}});
  EXPECT_FALSE(same_receive_key(a1, a3));
  EXPECT_FALSE(same_receive_key(a1, any));
  EXPECT_TRUE(same_receive_key(a1, a1));
  EXPECT_TRUE(same_receive_key(
      any, vxlan({{"remote_ip", "192.0.2.2"}, {"in_key", "5"}, {"out_key", "9"}, {"ttl", "3"}})));
  EXPECT_FALSE(same_receive_key(any, vxlan({{"remote_ip", "192.0.2.2"}, {"key", "6"}})));
  EXPECT_FALSE(same_receive_key(
      any, vxlan({{"remote_ip", "192.0.2.2"}, {"key", "5"}, {"dst_port", "4790"}})));
  const auto v6any = vxlan({{"remote_ip", "fd00::2"}, {"key", "5"}});
  const auto v6a = vxlan({{"remote_ip", "fd00::2"}, {"local_ip", "fd00::1"}, {"key", "5"}});
  const auto v6b = vxlan({{"remote_ip", "fd00::2"}, {"local_ip", "fd00::3"}, {"key", "5"}});
  EXPECT_FALSE(same_receive_key(v6a, v6b));
  EXPECT_FALSE(same_receive_key(v6a, v6any));
  EXPECT_TRUE(same_receive_key(v6b, v6b));
  EXPECT_FALSE(same_receive_key(any, v6any));
  EXPECT_EQ(receive_key_string(a1), "remote_ip 192.0.2.2, local_ip 192.0.2.1, key 5");
  EXPECT_EQ(receive_key_string(v6any), "remote_ip fd00::2, local_ip *, key 5");
}

}  // namespace
}  // namespace lvs::tunnels
