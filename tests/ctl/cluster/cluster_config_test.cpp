// The cluster keys (ctl/cluster/cluster_config.hpp) through vsctl's engine, as the daemon runs
// it: bad values are refused with a message naming the key, and nothing changes; the cluster
// bridge's IPAM hands out only the host's share of the cluster subnet.
#include "ctl/cluster/cluster_config.hpp"

#include <gtest/gtest.h>

#include "ctl/commands.hpp"
#include "ctl/ipam.hpp"

namespace lvs::ctl::cluster {
namespace {

// Runs one vsctl chain on `c`, validated as a transaction; the error message or "".
std::string run(Config& c, std::vector<std::vector<std::string>> chain) {
  Config next = c;
  Engine engine(next, nullptr);
  if (auto e = engine.run(chain)) return e->message;
  if (auto e = validate(next)) return e->message;
  c = next;
  return "";
}

TEST(ClusterConfigTest, GlobalKeysAreCheckedTogether) {
  Config c = default_config();
  EXPECT_EQ(run(c, {{"set", "Open_vSwitch", ".", "other_config:cluster-store=http://1.2.3.4:2379",
                     "other_config:cluster-local-ip=10.0.0.1"}}),
            "Open_vSwitch: other_config:cluster-store \"http://1.2.3.4:2379\" does not start with "
            "etcd://");
  EXPECT_EQ(run(c, {{"set", "Open_vSwitch", ".", "other_config:cluster-store=etcd://1.2.3.4:2379,x",
                     "other_config:cluster-local-ip=10.0.0.1"}}),
            "Open_vSwitch: other_config:cluster-store \"etcd://1.2.3.4:2379,x\": \"x\" is not "
            "HOST:PORT (IPv6 as [ADDR]:PORT)");
  EXPECT_EQ(
      run(c, {{"set", "Open_vSwitch", ".", "other_config:cluster-store=etcd://1.2.3.4:2379"}}),
      "Open_vSwitch: other_config:cluster-store needs other_config:cluster-local-ip (this "
      "host's underlay address)");
  EXPECT_EQ(
      run(c, {{"set", "Open_vSwitch", ".", "other_config:cluster-store=etcd://e:2379",
               "other_config:cluster-local-ip=10.0.0.300"}}),
      "Open_vSwitch: other_config:cluster-local-ip \"10.0.0.300\" is not an IPv4 or IPv6 address");
  EXPECT_EQ(
      run(c, {{"set", "Open_vSwitch", ".", "other_config:cluster-store=etcd://e:2379",
               "other_config:cluster-local-ip=10.0.0.1", "other_config:cluster-lease-ttl=1"}}),
      "Open_vSwitch: other_config:cluster-lease-ttl \"1\" is not in 2..3600");
  EXPECT_EQ(run(c, {{"set", "Open_vSwitch", ".", "other_config:cluster-store=etcd://e:2379",
                     "other_config:cluster-local-ip=10.0.0.1",
                     "other_config:cluster-subnet=10.200.1.0/16"}}),
            "Open_vSwitch: other_config:cluster-subnet \"10.200.1.0/16\" is not a network address "
            "(did you mean 10.200.0.0/16?)");
  EXPECT_EQ(
      run(c,
          {{"set", "Open_vSwitch", ".", "other_config:cluster-store=etcd://e:2379",
            "other_config:cluster-local-ip=10.0.0.1", "other_config:cluster-subnet=10.200.0.0/16",
            "other_config:cluster-host-prefix=16"}}),
      "Open_vSwitch: other_config:cluster-host-prefix 16 is not longer than cluster-subnet's /16");
  EXPECT_EQ(run(c, {{"set", "Open_vSwitch", ".", "other_config:cluster-local-ip=10.0.0.1"}}),
            "Open_vSwitch: other_config:cluster-local-ip needs other_config:cluster-store");
  EXPECT_EQ(c, default_config());  // nothing changed
  EXPECT_EQ(run(c, {{"set", "Open_vSwitch", ".",
                     "other_config:cluster-store=etcd://10.0.0.9:2379,[fd00::9]:2379",
                     "other_config:cluster-local-ip=fd00::1", "other_config:cluster-lease-ttl=3",
                     "other_config:cluster-subnet=10.200.0.0/16",
                     "other_config:cluster-host-prefix=24"}}),
            "");
  auto o = cluster_options(c);
  ASSERT_TRUE(o);
  EXPECT_EQ(o->store_endpoints, (std::vector<std::string>{"10.0.0.9:2379", "[fd00::9]:2379"}));
  EXPECT_TRUE(o->ipv6);
  EXPECT_EQ(o->mtu_overhead(), 70);
  EXPECT_EQ(o->lease_ttl_s, 3);
  EXPECT_EQ(o->host_prefix, 24);
}

TEST(ClusterConfigTest, BridgeKeysAreChecked) {
  Config c = default_config();
  ASSERT_EQ(run(c, {{"add-br", "ovl"}, {"add-br", "ov2"}}), "");
  const Config before = c;
  EXPECT_EQ(run(c, {{"set", "Bridge", "ovl", "other_config:cluster-vni=0"}}),
            "bridge ovl: other_config:cluster-vni \"0\" is not in 1..16777215");
  EXPECT_EQ(run(c, {{"set", "Bridge", "ovl", "other_config:cluster-vni-map=100:100,200"}}),
            "bridge ovl: other_config:cluster-vni-map \"100:100,200\": \"200\" is not VLAN:VNI "
            "(VLAN 0..4094, VNI 1..16777215)");
  EXPECT_EQ(run(c, {{"set", "Bridge", "ovl", "other_config:cluster-vni-map=100:100,100:200"}}),
            "bridge ovl: other_config:cluster-vni-map \"100:100,100:200\": VLAN 100 given twice");
  EXPECT_EQ(run(c, {{"set", "Bridge", "ovl", "other_config:cluster-vni=5",
                     "other_config:cluster-vni-map=1:6"}}),
            "bridge ovl: other_config:cluster-vni and cluster-vni-map exclude each other");
  EXPECT_EQ(run(c, {{"set", "Bridge", "ovl", "other_config:cluster-vni=5"},
                    {"set", "Bridge", "ov2", "other_config:cluster-vni-map=7:5"}}),
            "bridge ov2: VNI 5 is already carried by bridge ovl");
  EXPECT_EQ(c, before);
  EXPECT_EQ(run(c, {{"set", "Bridge", "ovl", "other_config:cluster-vni-map=200:200,100:100"}}), "");
  const auto b = bridge_bindings(*c.find_bridge("ovl"));
  ASSERT_EQ(b.size(), 2u);
  EXPECT_EQ(b[0], (VniBinding{100, 100}));
  EXPECT_EQ(b[1], (VniBinding{200, 200}));
}

TEST(ClusterConfigTest, IpamHandsOutOnlyTheHostsShare) {
  Config c = default_config();
  ASSERT_EQ(run(c, {{"add-br", "ovl"},
                    {"set", "Interface", "ovl", "options:ip=10.200.3.1/16"},
                    {"set", "Bridge", "ovl", "external_ids:cluster-host-subnet=10.200.3.0/24"}}),
            "");
  auto a = ipam_alloc(c, "ovl", "c1");
  ASSERT_TRUE(a) << a.error().message;
  EXPECT_EQ(format_ipv4(a->address.addr), "10.200.3.2");  // .1 is the gateway
  EXPECT_EQ(a->address.prefix, 16);                       // one L2 segment across hosts
  for (int i = 0; i < 252; ++i) ASSERT_TRUE(ipam_alloc(c, "ovl", "x" + std::to_string(i)));
  auto full = ipam_alloc(c, "ovl", "c2");
  ASSERT_FALSE(full);  // the share is exhausted, the rest of the /16 belongs to other hosts
  EXPECT_NE(full.error().message.find("exhausted"), std::string::npos);
  // An address asked for explicitly may lie anywhere in the subnet (the user's choice).
  EXPECT_TRUE(ipam_alloc(c, "ovl", "c3", *parse_ipv4("10.200.9.9")));
}

}  // namespace
}  // namespace lvs::ctl::cluster
