// Port kind descriptors (ctl/port_kind.hpp) and the factory that opens them.
#include "ctl/port_kind.hpp"

#include <gtest/gtest.h>

#include <algorithm>

#include "ctl/port_factory.hpp"

namespace lvs::ctl {
namespace {

PortConfig port_of(const std::string& type, StringMap options = {}) {
  PortConfig p;
  p.name = "p1";
  p.type = type;
  p.options = std::move(options);
  return p;
}

TEST(PortKindTest, EveryKnownKindCanBeMadeAndEveryMakerHasADescriptor) {
  PortFactory factory;
  register_builtin_port_kinds(factory);
  std::vector<std::string> described;
  for (const PortKind* kind : port_kinds()) described.emplace_back(kind->name);
  std::sort(described.begin(), described.end());
  EXPECT_EQ(factory.kinds(), described);
}

TEST(PortKindTest, TypesNothingCanMakeAreRefusedNamingTheType) {
  for (const std::string type : {"geneve", "ring", "warp"}) {
    EXPECT_FALSE(is_known_port_type(type)) << type;
    auto e = validate_port(port_of(type, {{"remote_ip", "192.0.2.2"}}));
    ASSERT_TRUE(e) << type;
    EXPECT_EQ(e->message, "port p1: unknown type \"" + type + "\"");
  }
  EXPECT_EQ(find_port_kind("")->name, "system");  // Open vSwitch's default kind
}

TEST(PortKindTest, TunnelsShareASplitHorizonGroupAndMayLeaveByAnUnderlayPort) {
  EXPECT_EQ(find_port_kind("vxlan")->split_horizon_group, 1);
  EXPECT_EQ(find_port_kind("gre")->split_horizon_group, 1);
  for (const char* type : {"system", "internal", "dpdk", "afxdp", "dpdkvhostuser"}) {
    EXPECT_EQ(find_port_kind(type)->split_horizon_group, 0) << type;
    EXPECT_EQ(find_port_kind(type)->underlay_port, nullptr) << type;
  }
  const PortKind* vxlan = find_port_kind("vxlan");
  EXPECT_EQ(vxlan->underlay_port(port_of("vxlan", {{"remote_ip", "192.0.2.2"}})), "");
  EXPECT_EQ(
      vxlan->underlay_port(port_of("vxlan", {{"underlay", "port"}, {"underlay_port", "up0"}})),
      "up0");
}

TEST(PortKindTest, TunnelOverheadComesFromItsHeaders) {
  const PortKind* vxlan = find_port_kind("vxlan");
  const PortKind* gre = find_port_kind("gre");
  // Inner Ethernet 14 + outer IPv4 20 + UDP 8 + VXLAN 8: 1450 left of a 1500-byte underlay.
  EXPECT_EQ(vxlan->mtu_overhead(port_of("vxlan", {{"remote_ip", "192.0.2.2"}})), 50);
  // GRE: 4 bytes, + 4 with a key, + 4 with a checksum.
  EXPECT_EQ(gre->mtu_overhead(port_of("gre", {{"remote_ip", "192.0.2.2"}})), 38);
  EXPECT_EQ(gre->mtu_overhead(port_of("gre", {{"remote_ip", "192.0.2.2"}, {"key", "7"}})), 42);
  EXPECT_EQ(gre->mtu_overhead(
                port_of("gre", {{"remote_ip", "192.0.2.2"}, {"out_key", "7"}, {"csum", "true"}})),
            46);
  EXPECT_EQ(find_port_kind("system")->mtu_overhead, nullptr);
  // Over IPv6: outer IPv6 40 instead of IPv4 20, 1430 left of a 1500-byte underlay.
  EXPECT_EQ(vxlan->mtu_overhead(port_of("vxlan", {{"remote_ip", "fd00::2"}})), 70);
}

TEST(PortKindTest, VxlanTakesAnIpv6UnderlayGreAndThePortUnderlayDoNot) {
  EXPECT_FALSE(validate_port(port_of("vxlan", {{"remote_ip", "fd00::2"}})));
  EXPECT_FALSE(
      validate_port(port_of("vxlan", {{"remote_ip", "fd00::2"}, {"local_ip", "fd00::1"}})));
  EXPECT_EQ(validate_port(port_of("vxlan", {{"remote_ip", "fd00::2"}, {"local_ip", "10.0.0.1"}}))
                ->message,
            "port p1: options:local_ip \"10.0.0.1\" is not an IPv6 address (the family of "
            "options:remote_ip)");
  EXPECT_EQ(validate_port(port_of("gre", {{"remote_ip", "fd00::2"}}))->message,
            "port p1: options:remote_ip \"fd00::2\" is IPv6: type gre carries an IPv4 underlay "
            "only (vxlan carries both)");
  EXPECT_EQ(validate_port(port_of("vxlan", {{"remote_ip", "fd00::2"},
                                            {"local_ip", "fd00::1"},
                                            {"underlay", "port"},
                                            {"underlay_port", "up0"}}))
                ->message,
            "port p1: options:remote_ip \"fd00::2\" is IPv6: options:underlay=port carries an "
            "IPv4 underlay only");
  EXPECT_EQ(validate_port(port_of("vxlan", {{"remote_ip", "fd00::zz"}}))->message,
            "port p1: options:remote_ip \"fd00::zz\" is not an IPv4 or IPv6 address");
}

TEST(PortKindTest, EachKindChecksItsOwnOptions) {
  EXPECT_EQ(validate_port(port_of("dpdk"))->message,
            "port p1: type dpdk needs options:dpdk-devargs");
  EXPECT_EQ(validate_port(port_of("system", {{"ip", "10.0.0.1/24"}}))->message,
            "port p1: options:ip is only for internal ports");
  EXPECT_EQ(validate_port(port_of("internal", {{"ip", "10.0.0.1/33"}}))
                ->message.rfind("port p1: options:ip ", 0),
            0u);
  EXPECT_FALSE(validate_port(port_of("internal", {{"ip", "10.0.0.1/24"}})));
  EXPECT_EQ(
      validate_port(port_of("gre", {{"remote_ip", "192.0.2.2"}, {"key", "4294967296"}}))->message,
      "port p1: options:key \"4294967296\" is not in 0..4294967295");
  EXPECT_EQ(
      validate_port(port_of("vxlan", {{"remote_ip", "192.0.2.2"}, {"key", "16777216"}}))->message,
      "port p1: options:key \"16777216\" is not in 0..16777215");
}

TEST(PortKindTest, InternalDeviceIsTapOrVeth) {
  EXPECT_FALSE(validate_port(port_of("internal", {{"device", "tap"}})));
  EXPECT_FALSE(validate_port(port_of("internal", {{"device", "veth"}})));
  EXPECT_EQ(validate_port(port_of("internal", {{"device", "tun"}}))->message,
            "port p1: options:device must be tap or veth, not 'tun'");
}

}  // namespace
}  // namespace lvs::ctl
