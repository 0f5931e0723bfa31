// The cluster reconciler (ctl/cluster/cluster_reconciler.hpp) on synthetic ClusterViews: which
// tunnel ports, FDB and neighbour entries a view asks for, and that unchanged views change
// nothing while a member gone takes its tunnels and entries with it.
#include "ctl/cluster/cluster_reconciler.hpp"

#include <gtest/gtest.h>

#include "ctl/commands.hpp"

namespace lvs::ctl::cluster {
namespace {

Member member(const std::string& ip, std::vector<uint32_t> vnis) {
  Member m;
  m.id = ip;
  m.underlay_ip = ip;
  m.vnis = std::move(vnis);
  return m;
}

Endpoint endpoint(uint32_t vni, const std::string& mac, const std::string& ip,
                  const std::string& host) {
  return Endpoint{vni, mac, ip, "", host};
}

ClusterOptions one_bridge_two_vlans() {
  ClusterOptions o;
  o.local_ip = "10.0.0.1";
  o.bridges.push_back(ClusterBridge{"ovl", {VniBinding{100, 100}, VniBinding{200, 200}}});
  return o;
}

ClusterView three_hosts() {
  ClusterView v;
  v.revision = 7;
  v.connected = true;
  v.members["10.0.0.1"] = member("10.0.0.1", {100, 200});
  v.members["10.0.0.2"] = member("10.0.0.2", {100});
  v.members["10.0.0.3"] = member("10.0.0.3", {100, 200, 300});
  v.endpoints = {endpoint(100, "02:42:0a:c8:01:02", "10.200.1.2", "10.0.0.1"),
                 endpoint(100, "02:42:0a:c8:02:02", "10.200.2.2", "10.0.0.2"),
                 endpoint(200, "02:42:0a:c8:03:02", "10.200.3.2", "10.0.0.3"),
                 endpoint(300, "02:42:0a:c8:03:03", "10.200.3.3", "10.0.0.3")};
  return v;
}

TEST(ClusterReconcilerTest, PortNamesAreShortStableAndDistinct) {
  const std::string a = tunnel_port_name("10.0.0.2", 100);
  EXPECT_EQ(a, tunnel_port_name("10.0.0.2", 100));
  EXPECT_NE(a, tunnel_port_name("10.0.0.2", 200));
  EXPECT_NE(a, tunnel_port_name("10.0.0.3", 100));
  EXPECT_LE(a.size(), kMaxNameLength);
  EXPECT_FALSE(validate_name("port", a));
}

TEST(ClusterReconcilerTest, OneTunnelPerOtherMemberAndSharedVni) {
  const Desired d = desired_state(three_hosts(), "10.0.0.1", one_bridge_two_vlans());
  // .2 serves 100; .3 serves 100 and 200 (300 is not ours); never a tunnel to ourselves.
  ASSERT_EQ(d.tunnels.size(), 3u);
  const TunnelSpec& t = d.tunnels.at(tunnel_port_name("10.0.0.3", 200));
  EXPECT_EQ(t.bridge, "ovl");
  EXPECT_EQ(t.remote_ip, "10.0.0.3");
  EXPECT_EQ(t.local_ip, "10.0.0.1");
  EXPECT_EQ(t.vni, 200u);
  EXPECT_EQ(t.vlan, std::optional<uint16_t>(200));
  EXPECT_TRUE(d.tunnels.count(tunnel_port_name("10.0.0.2", 100)));
  EXPECT_FALSE(d.tunnels.count(tunnel_port_name("10.0.0.3", 300)));
}

TEST(ClusterReconcilerTest, RemoteEndpointsGoToTheirTunnelAndNeighbourTable) {
  const Desired d = desired_state(three_hosts(), "10.0.0.1", one_bridge_two_vlans());
  const std::set<FdbSpec> want = {
      {"ovl", 100, "02:42:0a:c8:02:02", tunnel_port_name("10.0.0.2", 100)},
      {"ovl", 200, "02:42:0a:c8:03:02", tunnel_port_name("10.0.0.3", 200)}};
  EXPECT_EQ(d.fdb, want);  // our own endpoint and VNI 300's are not installed
  const std::set<NeighbourSpec> n = {{100, "10.200.2.2", "02:42:0a:c8:02:02"},
                                     {200, "10.200.3.2", "02:42:0a:c8:03:02"}};
  EXPECT_EQ(d.neighbours.at("ovl"), n);
}

TEST(ClusterReconcilerTest, WholeBridgeVniUsesUntaggedTunnelsAndVlanZero) {
  ClusterOptions o;
  o.local_ip = "10.0.0.1";
  o.bridges.push_back(ClusterBridge{"ovl", {VniBinding{100, std::nullopt}}});
  const Desired d = desired_state(three_hosts(), "10.0.0.1", o);
  ASSERT_EQ(d.tunnels.size(), 2u);
  EXPECT_FALSE(d.tunnels.begin()->second.vlan);
  ASSERT_EQ(d.fdb.size(), 1u);
  EXPECT_EQ(d.fdb.begin()->vlan, 0);
  auto chain = tunnel_commands({}, d.tunnels);
  for (const auto& w : chain) EXPECT_NE(w[0] + w.back(), "add-porttag=0");
}

TEST(ClusterReconcilerTest, UnchangedViewChangesNothing) {
  const ClusterOptions o = one_bridge_two_vlans();
  const Desired d = desired_state(three_hosts(), "10.0.0.1", o);
  // What the chain makes is what current_tunnels reads back: run it and diff again.
  Config c = default_config();
  c.bridges.push_back(BridgeConfig{.name = "ovl"});
  Engine engine(c, nullptr);
  ASSERT_FALSE(engine.run(tunnel_commands(current_tunnels(c), d.tunnels)));
  ASSERT_FALSE(validate(c));
  EXPECT_EQ(current_tunnels(c), d.tunnels);
  EXPECT_TRUE(tunnel_commands(current_tunnels(c), d.tunnels).empty());
  const Desired again = desired_state(three_hosts(), "10.0.0.1", o);
  EXPECT_TRUE(diff_fdb(d.fdb, again.fdb).empty());
  EXPECT_TRUE(changed_neighbour_tables(d.neighbours, again.neighbours).empty());
  const PortConfig* p = c.find_bridge("ovl")->find_port(tunnel_port_name("10.0.0.3", 200));
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->type, "vxlan");
  EXPECT_EQ(p->tag, std::optional<int>(200));
  EXPECT_EQ(p->options.at("key"), "200");
  EXPECT_EQ(p->external_ids.at(kClusterMember), "10.0.0.3");
}

TEST(ClusterReconcilerTest, MemberGoneTakesItsTunnelsFdbAndNeighbours) {
  const ClusterOptions o = one_bridge_two_vlans();
  const Desired before = desired_state(three_hosts(), "10.0.0.1", o);
  ClusterView v = three_hosts();
  v.members.erase("10.0.0.3");  // its lease expired; its endpoints may still linger a moment
  const Desired after = desired_state(v, "10.0.0.1", o);
  auto chain = tunnel_commands(before.tunnels, after.tunnels);
  ASSERT_EQ(chain.size(), 2u);
  for (const auto& w : chain) EXPECT_EQ(w[1], "del-port");
  const auto fdb = diff_fdb(before.fdb, after.fdb);
  EXPECT_TRUE(fdb.add.empty());
  ASSERT_EQ(fdb.remove.size(), 1u);
  EXPECT_EQ(fdb.remove[0].mac, "02:42:0a:c8:03:02");
  EXPECT_EQ(changed_neighbour_tables(before.neighbours, after.neighbours),
            std::vector<std::string>{"ovl"});
  EXPECT_EQ(after.neighbours.at("ovl").size(), 1u);
}

TEST(ClusterReconcilerTest, MovedUnderlayAddressReplacesTheTunnel) {
  const ClusterOptions o = one_bridge_two_vlans();
  const Desired before = desired_state(three_hosts(), "10.0.0.1", o);
  ClusterView v = three_hosts();
  v.members["10.0.0.2"].underlay_ip = "10.0.0.22";
  auto chain = tunnel_commands(before.tunnels, desired_state(v, "10.0.0.1", o).tunnels);
  ASSERT_EQ(chain.size(), 4u);  // del-port, then add-port + set Interface + set Port
  EXPECT_EQ(chain[0][1], "del-port");
  EXPECT_EQ(chain[1][0], "add-port");
  EXPECT_EQ(chain[2][4], "options:remote_ip=10.0.0.22");
}

TEST(ClusterReconcilerTest, AStationOnTwoHostsIsInstalledOnce) {
  ClusterView v = three_hosts();
  v.endpoints.push_back(endpoint(100, "02:42:0a:c8:02:02", "10.200.2.2", "10.0.0.3"));
  const Desired d = desired_state(v, "10.0.0.1", one_bridge_two_vlans());
  int n = 0;
  for (const auto& f : d.fdb) n += f.mac == "02:42:0a:c8:02:02";
  EXPECT_EQ(n, 1);
}

TEST(ClusterReconcilerTest, OtherAddressFamilyAndBadMacsAreSkipped) {
  ClusterView v = three_hosts();
  v.members["fd00::9"] = member("fd00::9", {100});
  v.endpoints.push_back(endpoint(100, "01:00:5e:00:00:01", "10.200.2.9", "10.0.0.2"));
  v.endpoints.push_back(endpoint(100, "not-a-mac", "10.200.2.8", "10.0.0.2"));
  const Desired d = desired_state(v, "10.0.0.1", one_bridge_two_vlans());
  EXPECT_EQ(d.tunnels.size(), 3u);
  EXPECT_EQ(d.fdb.size(), 2u);
}

}  // namespace
}  // namespace lvs::ctl::cluster
