// Open vSwitch's Port `protected`: protected ports never forward to each other, by unicast or
// flood; unprotected ports reach and are reached by everyone; learning is the same.
#include <gtest/gtest.h>

#include "tests/support/bridge_harness.hpp"

namespace lvs::test {
namespace {

using sw::DropReason;
using sw::VlanPolicy;

constexpr const char* kA = "02:00:00:00:00:0a";
constexpr const char* kB = "02:00:00:00:00:0b";
constexpr const char* kC = "02:00:00:00:00:0c";
constexpr const char* kU = "02:00:00:00:00:0e";

// c1, c2: protected containers; up: the unprotected uplink/gateway; all in VLAN 0.
std::vector<BridgeHarness::PortDef> isolated_pair() {
  return {{.name = "c1", .vlan = VlanPolicy::access(0), .protected_port = true},
          {.name = "c2", .vlan = VlanPolicy::access(0), .protected_port = true},
          {.name = "up", .vlan = VlanPolicy::access(0)}};
}

TEST(ProtectedPort, FloodFromProtectedPortReachesOnlyUnprotectedPorts) {
  BridgeHarness br(isolated_pair());
  br.send("c1", {.src = kA});  // broadcast
  auto out = br.received_all();
  EXPECT_EQ(out["c2"].size(), 0u);
  EXPECT_EQ(out["up"].size(), 1u);
  EXPECT_EQ(out["c1"].size(), 0u);
  // Not a drop: the flood simply has no protected members (as split horizon).
  EXPECT_EQ(br.counters("c1").total_drops(), 0u);
  EXPECT_EQ(br.leaked(), 0);
}

TEST(ProtectedPort, FloodFromUnprotectedPortReachesProtectedPorts) {
  BridgeHarness br(isolated_pair());
  br.send("up", {.src = kU});
  auto out = br.received_all();
  EXPECT_EQ(out["c1"].size(), 1u);
  EXPECT_EQ(out["c2"].size(), 1u);
}

TEST(ProtectedPort, UnicastBetweenProtectedPortsIsDroppedAndCounted) {
  BridgeHarness br(isolated_pair());
  br.send("c2", {.dst = kU, .src = kB});  // learn B on c2
  br.received_all();
  br.send("c1", {.dst = kB, .src = kA});
  auto out = br.received_all();
  EXPECT_EQ(out["c2"].size(), 0u);
  EXPECT_EQ(out["up"].size(), 0u);
  EXPECT_EQ(br.drops("c1", DropReason::kProtected), 1u);
  EXPECT_EQ(br.counters("c1").total_drops(), 1u);
  // Learning is unchanged: A was learnt on c1 all the same.
  EXPECT_EQ(br.fdb().lookup(sw::Fdb::make_key(sw::MacAddr::parse(kA)->to_u64(), 0),
                            br.datapath().now_ms()),
            br.index("c1"));
  EXPECT_EQ(br.leaked(), 0);
}

TEST(ProtectedPort, UnicastBetweenProtectedAndUnprotectedPassesBothWays) {
  BridgeHarness br(isolated_pair());
  br.send("up", {.dst = kA, .src = kU});
  br.send("c1", {.dst = kU, .src = kA});
  auto out = br.received_all();
  ASSERT_EQ(out["up"].size(), 1u);
  EXPECT_EQ(out["up"][0].src, kA);
  br.send("up", {.dst = kA, .src = kU});
  out = br.received_all();
  EXPECT_EQ(out["c1"].size(), 1u);
  EXPECT_EQ(out["c2"].size(), 0u);
}

TEST(ProtectedPort, ClearingProtectedRestoresForwarding) {
  BridgeHarness br(isolated_pair());
  br.send("c2", {.dst = kU, .src = kB});
  br.received_all();
  br.config().bridges[0].ports[1].protected_port = false;  // c2
  br.apply();
  br.send("c1", {.dst = kB, .src = kA});
  EXPECT_EQ(br.received("c2").size(), 1u);
  br.send("c1", {.src = kA});
  EXPECT_EQ(br.received("c2").size(), 1u);
  EXPECT_EQ(br.drops("c1", DropReason::kProtected), 0u);
}

TEST(ProtectedPort, TrunkFloodToProtectedPortsOfOtherVlansStaysSeparate) {
  BridgeHarness br({{.name = "c10", .vlan = VlanPolicy::access(10), .protected_port = true},
                    {.name = "d10", .vlan = VlanPolicy::access(10), .protected_port = true},
                    {.name = "e10", .vlan = VlanPolicy::access(10)},
                    {.name = "t", .vlan = VlanPolicy::trunk({}), .protected_port = true}});
  br.send("c10", {.src = kC});
  auto out = br.received_all();
  EXPECT_EQ(out["d10"].size(), 0u);
  EXPECT_EQ(out["t"].size(), 0u);
  EXPECT_EQ(out["e10"].size(), 1u);
}

}  // namespace
}  // namespace lvs::test
