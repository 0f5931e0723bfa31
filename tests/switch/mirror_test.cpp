// Mirrors in the datapath over ring ports: what is selected (source and destination ports,
// VLANs), in which form (as received, as sent), that the output port is reserved, that copies are
// references, and that an output which cannot take them drops copies, never the traffic.
#include <gtest/gtest.h>

#include "tests/support/bridge_harness.hpp"

namespace lvs::sw {
namespace {

using test::BridgeHarness;
using test::FrameSpec;

constexpr const char* kA = "02:00:00:00:00:0a";
constexpr const char* kB = "02:00:00:00:00:0b";

// a: access VLAN 10, b: access VLAN 10, t: trunk, m: the mirror's output.
BridgeHarness make_bridge() {
  return BridgeHarness({{"a", VlanPolicy::access(10)},
                        {"b", VlanPolicy::access(10)},
                        {"t", VlanPolicy::trunk({10, 20})},
                        {"m", VlanPolicy::trunk({})}});
}

void add_mirror(BridgeHarness& h, MirrorConfig m) {
  h.config().bridges[0].mirrors.push_back(std::move(m));
  h.apply();
}

TEST(Mirror, ReceivedFramesAreCopiedAsTheyCameAndSentFramesAsTheyLeft) {
  auto h = make_bridge();
  add_mirror(h, {.name = "m1", .select_src = {"a"}, .select_dst = {"t"}, .output_port = "m"});
  // From a (untagged), flooded to b (untagged) and t (tagged 10).
  h.send("a", FrameSpec{.dst = kB, .src = kA});
  auto seen = h.received_all();
  ASSERT_EQ(seen["b"].size(), 1u);
  ASSERT_EQ(seen["t"].size(), 1u);
  EXPECT_EQ(seen["t"][0].vid, 10);
  // The mirror: a's frame untagged (as received), t's tagged 10 (as sent).
  ASSERT_EQ(seen["m"].size(), 2u);
  int tagged = 0, untagged = 0;
  for (const auto& s : seen["m"]) (s.tagged ? tagged : untagged)++;
  EXPECT_EQ(tagged, 1);
  EXPECT_EQ(untagged, 1);
  EXPECT_EQ(h.leaked(), 0);
}

TEST(Mirror, VlanSelectionUsesTheVlanTheFrameIsIn) {
  auto h = make_bridge();
  add_mirror(h, {.name = "v20", .select_src = {"t"}, .select_vlan = {20}, .output_port = "m"});
  h.send("t", FrameSpec{.dst = kB, .src = kA, .vid = 10});
  EXPECT_TRUE(h.received("m").empty());
  h.send("t", FrameSpec{.dst = kB, .src = kA, .vid = 20});
  auto m = h.received("m");
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0].vid, 20);
  // Received on an access port: its VLAN; sent on a trunk: the tag's VLAN.
  h.config().bridges[0].mirrors = {{.name = "v10",
                                    .select_src = {"a"},
                                    .select_dst = {"t"},
                                    .select_vlan = {10},
                                    .output_port = "m"}};
  h.apply();
  h.received_all();
  h.send("a", FrameSpec{.dst = "ff:ff:ff:ff:ff:ff", .src = kA});
  EXPECT_EQ(h.received("m").size(), 2u);
  h.received_all();
  EXPECT_EQ(h.leaked(), 0);
}

TEST(Mirror, SelectAllCopiesEveryPortButTheOutputBothWays) {
  auto h = make_bridge();
  add_mirror(h, {.name = "all", .select_all = true, .output_port = "m"});
  h.send("a", FrameSpec{.dst = kB, .src = kA});  // rx a, tx b, tx t
  EXPECT_EQ(h.received("m").size(), 3u);
  h.received_all();
}

TEST(Mirror, TheOutputPortIsReservedForTheMirror) {
  auto h = make_bridge();
  add_mirror(h, {.name = "m1", .select_src = {"b"}, .output_port = "m"});
  // A flood does not reach m, and what m sends is not forwarded.
  h.send("a", FrameSpec{.dst = "ff:ff:ff:ff:ff:ff", .src = kA});
  EXPECT_TRUE(h.received("m").empty());
  h.received_all();
  h.send("m", FrameSpec{.dst = "ff:ff:ff:ff:ff:ff", .src = kB});
  auto seen = h.received_all();
  EXPECT_TRUE(seen["a"].empty());
  EXPECT_TRUE(seen["t"].empty());
  h.port("m").drain();
  // del-mirror: m is an ordinary port again.
  h.config().bridges[0].mirrors.clear();
  h.apply();
  h.send("a", FrameSpec{.dst = "ff:ff:ff:ff:ff:ff", .src = kA});
  EXPECT_EQ(h.received("m").size(), 1u);
  h.received_all();
  EXPECT_EQ(h.leaked(), 0);
}

TEST(Mirror, CopiesAreReferencesToTheSameBuffer) {
  auto h = make_bridge();
  add_mirror(h, {.name = "m1", .select_src = {"a"}, .output_port = "m"});
  h.send("a", FrameSpec{.dst = kB, .src = kA});  // flooded to b (same form) and t (tagged)
  rte_mbuf* mirrored = nullptr;
  rte_mbuf* to_b = nullptr;
  ASSERT_EQ(h.port("m").collect(&mirrored, 1), 1u);
  ASSERT_EQ(h.port("b").collect(&to_b, 1), 1u);
  EXPECT_EQ(mirrored, to_b);  // one mbuf, two references
  rte_pktmbuf_free(mirrored);
  rte_pktmbuf_free(to_b);
  h.received_all();
  EXPECT_EQ(h.leaked(), 0);
}

TEST(Mirror, AFullOutputDropsCopiesCountedAsMirrorDropsNotTheTraffic) {
  auto h = make_bridge();
  add_mirror(h, {.name = "m1", .select_src = {"a"}, .output_port = "m"});
  // The output ring (1024) is never read: past it copies are dropped.
  std::vector<std::vector<uint8_t>> burst(kBurst,
                                          test::frame_bytes(FrameSpec{.dst = kB, .src = kA}));
  for (int i = 0; i < 40; ++i) {
    h.send_burst("a", burst);
    h.received("b");
    h.received("t");
  }
  EXPECT_EQ(h.counters("b").tx_packets, 40u * kBurst);  // all forwarded
  const auto stats = h.datapath().mirror_stats("br0");
  ASSERT_EQ(stats.size(), 1u);
  EXPECT_EQ(stats[0].packets, 40u * kBurst);
  EXPECT_EQ(stats[0].drops, 40u * kBurst - h.port("m").pending_tx());
  EXPECT_GT(stats[0].drops, 0u);
  h.received_all();
  EXPECT_EQ(h.leaked(), 0);
}

TEST(Mirror, ConfigurationErrorsAreRefused) {
  auto h = make_bridge();
  auto& mirrors = h.config().bridges[0].mirrors;
  mirrors = {{.name = "x", .select_src = {"m"}, .output_port = "m"}};
  EXPECT_NE(h.datapath().apply(h.config()), std::nullopt);
  mirrors = {{.name = "x", .select_src = {"zz"}, .output_port = "m"}};
  EXPECT_NE(h.datapath().apply(h.config()), std::nullopt);
  mirrors = {{.name = "x", .select_src = {"a"}}};  // no output
  EXPECT_NE(h.datapath().apply(h.config()), std::nullopt);
  mirrors.clear();
}

}  // namespace
}  // namespace lvs::sw
