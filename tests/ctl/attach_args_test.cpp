// vsattach's command line: pipework's words, errors naming the bad word.
#include <gtest/gtest.h>

#include "ctl/attach_args.hpp"

namespace lvs::ctl {
namespace {

Result<AttachArgs> parse(std::vector<std::string> words) { return parse_attach_args(words); }
std::string error_of(std::vector<std::string> words) {
  auto r = parse_attach_args(words);
  return r ? "" : r.error().message;
}

TEST(AttachArgsTest, PipeworkFormWithGatewayMacVlanAndOptions) {
  auto a = parse({"br0", "web", "10.77.0.2/24@10.77.0.254", "U:web@100", "-i", "eth3", "--mtu", "1400",
                  "--publish", "8080:80", "--publish", "5353:53/udp", "--socket", "/tmp/s"});
  ASSERT_TRUE(a) << a.error().message;
  EXPECT_EQ(a->mode, AttachArgs::Mode::kAttach);
  EXPECT_EQ(a->bridge, "br0");
  EXPECT_EQ(a->container, "web");
  EXPECT_EQ(format_ipv4(a->ip->addr), "10.77.0.2");
  EXPECT_EQ(a->ip->prefix, 24);
  EXPECT_EQ(format_ipv4(*a->gateway), "10.77.0.254");
  EXPECT_EQ(a->mac, "02:25:67:a5:ec:97");  // pipework: 02 + md5("web")[0..5)
  EXPECT_EQ(a->vlan, 100);
  EXPECT_EQ(a->ifname, "eth3");
  EXPECT_EQ(a->mtu, 1400);
  EXPECT_EQ(a->socket, "/tmp/s");
  ASSERT_EQ(a->publish.size(), 2u);
  EXPECT_EQ(a->publish[0], (PublishedPort{8080, 80, "tcp"}));
  EXPECT_EQ(a->publish[1], (PublishedPort{5353, 53, "udp"}));
}

TEST(AttachArgsTest, MacAndVlanWordForms) {
  auto vlan_only = parse({"br0", "1234", "10.0.0.2/8", "@200"});
  ASSERT_TRUE(vlan_only);
  EXPECT_EQ(vlan_only->vlan, 200);
  EXPECT_EQ(vlan_only->mac, "");
  auto mac_only = parse({"br0", "c", "10.0.0.2/8", "AA:BB:CC:00:11:22"});
  ASSERT_TRUE(mac_only);
  EXPECT_EQ(mac_only->mac, "aa:bb:cc:00:11:22");
  EXPECT_FALSE(mac_only->vlan);
  auto defaults = parse({"br0", "c", "10.0.0.2/8"});
  ASSERT_TRUE(defaults);
  EXPECT_EQ(defaults->port_type, "system");
  EXPECT_EQ(defaults->ifname, "");
  EXPECT_FALSE(defaults->gateway);
}

TEST(AttachArgsTest, NoAddressOrAutoLeasesFromTheBridgesPool) {
  auto none = parse({"br0", "c"});
  ASSERT_TRUE(none);
  EXPECT_FALSE(none->ip);
  auto with_vlan = parse({"br0", "c", "auto", "@30"});
  ASSERT_TRUE(with_vlan);
  EXPECT_FALSE(with_vlan->ip);
  EXPECT_EQ(with_vlan->vlan, 30);
}

TEST(AttachArgsTest, DetachGcHelp) {
  auto d = parse({"--detach", "br0", "web", "-i", "eth1"});
  ASSERT_TRUE(d);
  EXPECT_EQ(d->mode, AttachArgs::Mode::kDetach);
  EXPECT_EQ(d->ifname, "eth1");
  EXPECT_EQ(parse({"--gc"})->mode, AttachArgs::Mode::kGc);
  EXPECT_EQ(parse({"br0", "--help"})->mode, AttachArgs::Mode::kHelp);
}

TEST(AttachArgsTest, ErrorsNameTheBadWord) {
  EXPECT_EQ(error_of({"br0"}), "expects BRIDGE CONTAINER [IP/PREFIX[@GATEWAY]|auto] [MAC][@VLAN] (try --help)");
  EXPECT_EQ(error_of({"br0", "web", "10.0.0.2"}),
            "IP \"10.0.0.2\" is not ADDRESS/PREFIX with a prefix in 1..31 (e.g. 10.77.0.2/24)");
  EXPECT_EQ(error_of({"br0", "web", "10.0.0.256/24"}),
            "IP \"10.0.0.256/24\" is not ADDRESS/PREFIX with a prefix in 1..31 (e.g. 10.77.0.2/24)");
  EXPECT_EQ(error_of({"br0", "web", "10.0.0.2/24@10.0.0"}), "gateway \"10.0.0\" is not an IPv4 address");
  EXPECT_EQ(error_of({"br0", "web", "dhcp"}), "IP \"dhcp\": dhcp is not supported; give ADDRESS/PREFIX[@GATEWAY]");
  EXPECT_EQ(error_of({"br0", "web", "10.0.0.2/24", "@4095"}), "VLAN \"4095\" is not in 1..4094");
  EXPECT_EQ(error_of({"br0", "web", "10.0.0.2/24", "01:00:5e:00:00:01"}),
            "MAC \"01:00:5e:00:00:01\" is a multicast address");
  EXPECT_EQ(error_of({"br0", "web", "10.0.0.2/24", "zz"}), "MAC \"zz\" is not aa:bb:cc:dd:ee:ff or U:STRING");
  EXPECT_EQ(error_of({"br0", "web", "10.0.0.2/24", "U:"}), "MAC \"U:\": U: needs a string after it");
  EXPECT_EQ(error_of({"br0", "../etc", "10.0.0.2/24"}), "container \"../etc\" must start with a letter or digit");
  EXPECT_EQ(error_of({"br0", "a/b", "10.0.0.2/24"}), "container \"a/b\" has an invalid character '/'");
  EXPECT_EQ(error_of({"br/0", "web", "10.0.0.2/24"}), "bridge name \"br/0\" has an invalid character '/'");
  EXPECT_EQ(error_of({"br0", "web", "10.0.0.2/24", "--mtu", "9x"}), "--mtu: \"9x\" is not in 68..65535");
  EXPECT_EQ(error_of({"br0", "web", "10.0.0.2/24", "--mtu"}), "--mtu: missing value");
  EXPECT_EQ(error_of({"br0", "web", "10.0.0.2/24", "--port-type", "dpdk"}),
            "--port-type: \"dpdk\" is not system or afxdp");
  EXPECT_EQ(error_of({"br0", "web", "10.0.0.2/24", "--publish", "80"}),
            "--publish \"80\" is not [HOSTIP:]HOSTPORT:CONTAINERPORT[/tcp|udp]");
  EXPECT_EQ(error_of({"br0", "web", "10.0.0.2/24", "--publish", "0:80"}),
            "--publish \"0:80\": host port \"0\" is not in 1..65535");
  EXPECT_EQ(error_of({"br0", "web", "10.0.0.2/24", "--publish", "8080:80", "--publish", "8080:81/tcp"}),
            "--publish \"8080:81/tcp\": host port 8080/tcp is given twice");
  EXPECT_EQ(error_of({"br0", "web", "10.0.0.2/24", "-x"}), "unknown option \"-x\" (try --help)");
  EXPECT_EQ(error_of({"br0", "web", "10.0.0.2/24", "-i", "averyveryverylongname"}),
            "-i: interface name \"averyveryverylongname\" is longer than 15 characters");
  EXPECT_EQ(error_of({"--detach", "br0", "web", "--mtu", "1400"}), "--detach takes only BRIDGE CONTAINER [-i IFNAME]");
  EXPECT_EQ(error_of({"--gc", "br0"}), "--gc takes no arguments, got \"br0\"");
  EXPECT_EQ(error_of({"--gc", "--detach"}), "--detach and --gc do not go together");
}

TEST(AttachArgsTest, AccessPortByDefaultTrunkOnlyWhenAsked) {
  auto plain = parse({"br0", "c1", "10.0.0.2/24"});
  ASSERT_TRUE(plain);
  EXPECT_FALSE(plain->vlan);
  EXPECT_FALSE(plain->trunk);  // attach() makes it vlan_mode=access tag=0
  auto all = parse({"br0", "c1", "10.0.0.2/24", "--trunk"});
  ASSERT_TRUE(all);
  ASSERT_TRUE(all->trunk);
  EXPECT_TRUE(all->trunk->empty());
  auto some = parse({"--trunk=10,20", "br0", "c1", "10.0.0.2/24"});
  ASSERT_TRUE(some);
  EXPECT_EQ(*some->trunk, (std::vector<int>{10, 20}));
  EXPECT_EQ(error_of({"br0", "c1", "10.0.0.2/24", "--trunk=10,4095"}),
            "--trunk: VLAN \"4095\" is not in 1..4094");
  EXPECT_EQ(error_of({"br0", "c1", "10.0.0.2/24", "--trunk=10,"}),
            "--trunk: VLAN \"\" is not in 1..4094");
  EXPECT_EQ(error_of({"br0", "c1", "10.0.0.2/24", "@100", "--trunk"}),
            "@VLAN (an access port) and --trunk do not go together");
  EXPECT_EQ(error_of({"br0", "c1", "10.0.0.2/24", "@4095"}), "VLAN \"4095\" is not in 1..4094");
}

}  // namespace
}  // namespace lvs::ctl
