#include "switch/pipeline.hpp"

#include <gtest/gtest.h>

#include "tests/support/bridge_harness.hpp"

namespace lvs::test {
namespace {

using sw::DropReason;
using sw::VlanPolicy;

constexpr const char* kA = "02:00:00:00:00:0a";
constexpr const char* kB = "02:00:00:00:00:0b";
constexpr const char* kC = "02:00:00:00:00:0c";

std::vector<BridgeHarness::PortDef> four_trunks() {
  return {{"p1", {}}, {"p2", {}}, {"p3", {}}, {"p4", {}}};
}

TEST(Pipeline, UnknownUnicastFloodsToEveryOtherPort) {
  BridgeHarness br(four_trunks());
  br.send("p1", {.dst = kB, .src = kA});
  auto out = br.received_all();
  EXPECT_EQ(out["p1"].size(), 0u);
  for (auto p : {"p2", "p3", "p4"}) {
    ASSERT_EQ(out[p].size(), 1u) << p;
    EXPECT_EQ(out[p][0].dst, kB);
    EXPECT_TRUE(out[p][0].payload_intact);
  }
  EXPECT_EQ(br.leaked(), 0);
}

TEST(Pipeline, LearnedUnicastGoesToExactlyOnePort) {
  BridgeHarness br(four_trunks());
  br.send("p2", {.dst = kA, .src = kB});  // learn B on p2
  br.received_all();
  br.send("p1", {.dst = kB, .src = kA});
  auto out = br.received_all();
  EXPECT_EQ(out["p2"].size(), 1u);
  EXPECT_EQ(out["p3"].size() + out["p4"].size() + out["p1"].size(), 0u);
  EXPECT_EQ(br.fdb().lookup(sw::Fdb::make_key(sw::MacAddr::parse(kA)->to_u64(), 0),
                            br.datapath().now_ms()),
            br.index("p1"));
}

TEST(Pipeline, StationMoveTakesEffectOnTheNextFrame) {
  BridgeHarness br(four_trunks());
  br.send("p2", {.dst = kA, .src = kB});
  br.send("p3", {.dst = kA, .src = kB});  // B moved to p3
  br.received_all();
  br.send("p1", {.dst = kB, .src = kA});
  auto out = br.received_all();
  EXPECT_EQ(out["p3"].size(), 1u);
  EXPECT_EQ(out["p2"].size(), 0u);
  EXPECT_EQ(br.fdb().stats().moved, 1u);
}

TEST(Pipeline, BroadcastStaysInsideItsVlan) {
  BridgeHarness br({{"a10", VlanPolicy::access(10)},
                    {"b10", VlanPolicy::access(10)},
                    {"c20", VlanPolicy::access(20)},
                    {"t", VlanPolicy::trunk({10, 20})}});
  br.send("a10", {.src = kA});
  auto out = br.received_all();
  EXPECT_EQ(out["b10"].size(), 1u);
  EXPECT_EQ(out["c20"].size(), 0u);
  ASSERT_EQ(out["t"].size(), 1u);
  EXPECT_TRUE(out["t"][0].tagged);
  EXPECT_EQ(out["t"][0].vid, 10);
}

TEST(Pipeline, SameMacInTwoVlansIsLearntTwice) {
  BridgeHarness br({{"a10", VlanPolicy::access(10)},
                    {"a20", VlanPolicy::access(20)},
                    {"t", VlanPolicy::trunk({})}});
  br.send("a10", {.src = kA});
  br.send("a20", {.src = kA});
  EXPECT_EQ(br.fdb().stats().entries, 2u);
  EXPECT_EQ(br.fdb().stats().moved, 0u);
}

TEST(Pipeline, HairpinIsDroppedAndCounted) {
  BridgeHarness br(four_trunks());
  br.send("p1", {.dst = kC, .src = kB});  // B on p1
  br.received_all();
  br.send("p1", {.dst = kB, .src = kA});
  auto out = br.received_all();
  for (auto& [p, frames] : out) EXPECT_TRUE(frames.empty()) << p;
  EXPECT_EQ(br.drops("p1", DropReason::kHairpin), 1u);
  EXPECT_EQ(br.leaked(), 0);
}

TEST(Pipeline, ReservedMulticastIsNotForwardedByDefault) {
  BridgeHarness br(four_trunks());
  for (auto dst : {"01:80:c2:00:00:00", "01:80:c2:00:00:0e", "01:80:c2:00:00:02"})
    br.send("p1", {.dst = dst, .src = kA});
  for (auto& [p, frames] : br.received_all()) EXPECT_TRUE(frames.empty()) << p;
  EXPECT_EQ(br.drops("p1", DropReason::kReservedMulticast), 3u);
  // Neither is the source learnt from a dropped frame.
  EXPECT_EQ(br.fdb().stats().entries, 0u);
}

TEST(Pipeline, ForwardBpduFloodsReservedMulticastOnTheIngressVlan) {
  BridgeHarness br({{"a10", VlanPolicy::access(10)},
                    {"b10", VlanPolicy::access(10)},
                    {"c20", VlanPolicy::access(20)}},
                   {}, /*forward_bpdu=*/true);
  br.send("a10", {.dst = "01:80:c2:00:00:00", .src = kA});
  auto out = br.received_all();
  EXPECT_EQ(out["b10"].size(), 1u);
  EXPECT_EQ(out["c20"].size(), 0u);
}

TEST(Pipeline, MulticastSourcesAreNeverLearnt) {
  BridgeHarness br(four_trunks());
  br.send("p1", {.dst = kB, .src = "03:00:00:00:00:01"});
  EXPECT_EQ(br.fdb().stats().entries, 0u);
  EXPECT_EQ(br.received("p2").size(), 1u);
}

TEST(Pipeline, FramesDroppedByVlanPolicyAreNotLearnt) {
  BridgeHarness br({{"a10", VlanPolicy::access(10)}, {"t", VlanPolicy::trunk({})}});
  br.send("a10", {.dst = kB, .src = kA, .vid = 20});
  EXPECT_EQ(br.fdb().stats().entries, 0u);
  EXPECT_EQ(br.drops("a10", DropReason::kVlanNotAdmitted), 1u);
}

TEST(Pipeline, MalformedFramesAreDroppedAndCounted) {
  BridgeHarness br(four_trunks());
  br.send_raw("p1", {});                              // empty
  br.send_raw("p1", std::vector<uint8_t>(13, 0xff));  // runt
  auto tag = frame_bytes({.src = kA, .vid = 5, .payload = 0});
  tag.resize(16);  // truncated 802.1Q tag
  br.send_raw("p1", tag);
  for (auto& [p, frames] : br.received_all()) EXPECT_TRUE(frames.empty()) << p;
  EXPECT_EQ(br.drops("p1", DropReason::kMalformed), 3u);
  EXPECT_EQ(br.counters("p1").rx_packets, 3u);
  EXPECT_EQ(br.fdb().stats().entries, 0u);
  EXPECT_EQ(br.leaked(), 0);
}

TEST(Pipeline, BadIpv4HeadersAreDroppedAsDocker0DoesGoodOnesPass) {
  BridgeHarness br(four_trunks());
  // Byte offsets in an untagged frame: 14 = version/IHL, 16..17 = total length.
  auto with = [](size_t at, std::vector<uint8_t> bytes,
                 std::optional<uint16_t> vid = std::nullopt) {
    auto f = frame_bytes({.dst = kB, .src = kA, .vid = vid, .payload = 46});
    const size_t l2 = vid ? 18 : 14;
    for (size_t i = 0; i < bytes.size(); ++i) f[l2 + at + i] = bytes[i];
    return f;
  };
  br.send_raw("p1", with(0, {0x65}));        // version 6 in an IPv4 frame
  br.send_raw("p1", with(0, {0x44}));        // header of 16 bytes
  br.send_raw("p1", with(0, {0x4f}));        // header of 60 bytes, frame has 46
  br.send_raw("p1", with(2, {0x00, 0x10}));  // total length 16 < header
  br.send_raw("p1", with(2, {0x00, 0x2f}));  // total length 47 > the 46 there
  br.send_raw("p1", with(2, {0x00, 0x00}));  // total length 0 without TSO
  br.send_raw("p1", with(0, {0x65}, 10));    // the same behind an 802.1Q tag
  auto cut = frame_bytes({.dst = kB, .src = kA, .payload = 46});
  cut.resize(14 + 12);  // IPv4 header cut short
  br.send_raw("p1", cut);
  for (auto& [p, frames] : br.received_all()) EXPECT_TRUE(frames.empty()) << p;
  EXPECT_EQ(br.drops("p1", DropReason::kMalformed), 8u);
  EXPECT_EQ(br.fdb().stats().entries, 0u);  // nothing learnt from them
  // Well-formed: padding after a short datagram, options, tagged, and non-IP payloads pass.
  br.send_raw("p1", with(2, {0x00, 0x1c}));  // 28-byte datagram padded to 46
  br.send_raw("p1", with(0, {0x46}));        // 24-byte header (options)
  br.send_raw("p1", with(0, {0x45}, 10));
  br.send("p1", {.dst = kB, .src = kA, .ethertype = 0x86dd, .payload = 10});
  auto out = br.received_all();  // B is unknown: flooded
  EXPECT_EQ(out["p2"].size(), 4u);
  EXPECT_EQ(br.drops("p1", DropReason::kMalformed), 8u);
  EXPECT_EQ(br.leaked(), 0);
}

TEST(Pipeline, StackedTagsAreClassifiedByTheOuterTag) {
  BridgeHarness br({{"t", VlanPolicy::trunk({})}, {"a5", VlanPolicy::access(5)}});
  auto inner = frame_bytes({.src = kA, .vid = 7, .payload = 60});
  // Outer tag VID 5, then the inner tag left as payload.
  std::vector<uint8_t> stacked(inner.size() + 4);
  std::copy_n(inner.begin(), 12, stacked.begin());
  const uint8_t outer[4] = {0x81, 0x00, 0x00, 0x05};
  std::copy_n(outer, 4, stacked.begin() + 12);
  std::copy(inner.begin() + 12, inner.end(), stacked.begin() + 16);
  br.send_raw("t", stacked);
  auto out = br.received("a5");
  ASSERT_EQ(out.size(), 1u);
  EXPECT_TRUE(out[0].tagged);  // the inner tag is payload to us and stays
  EXPECT_EQ(out[0].vid, 7);
}

TEST(Pipeline, AdminDownPortNeitherReceivesNorSends) {
  BridgeHarness br({{"p1", {}}, {"p2", {}}, {"down", {}, false}});
  br.send("p1", {.src = kA});
  EXPECT_TRUE(br.received("down").empty());
  EXPECT_EQ(br.received("p2").size(), 1u);
  rte_mbuf* m = make_frame(test_pool(), {.src = kC});
  br.port("down").inject(&m, 1);
  br.datapath().poll_once(0);
  EXPECT_TRUE(br.received("p1").empty());
  EXPECT_EQ(br.counters("down").rx_packets, 0u);
}

TEST(Pipeline, LearntMacsAgeOutWithTheClock) {
  BridgeHarness br(four_trunks(), {.max_entries = 8192, .aging_s = 300});
  br.send("p2", {.dst = kA, .src = kB});
  br.received_all();
  br.clock().advance_ms(299'000);
  br.send("p1", {.dst = kB, .src = kA});
  EXPECT_EQ(br.received_all()["p3"].size(), 0u);  // still known: unicast to p2
  br.clock().advance_ms(301'000);
  EXPECT_EQ(br.datapath().expire_all(), 2u);  // B (600 s) and A (301 s) are both past 300 s
  br.send("p1", {.dst = kB, .src = kA});
  EXPECT_EQ(br.received_all()["p3"].size(), 1u);  // unknown again: flooded
}

TEST(Pipeline, CountersAddUp) {
  BridgeHarness br(four_trunks());
  br.send("p1", {.src = kA, .payload = 100});
  auto c1 = br.counters("p1");
  EXPECT_EQ(c1.rx_packets, 1u);
  EXPECT_EQ(c1.rx_bytes, 114u);
  for (auto p : {"p2", "p3", "p4"}) {
    EXPECT_EQ(br.counters(p).tx_packets, 1u);
    EXPECT_EQ(br.counters(p).tx_bytes, 114u);
  }
}

TEST(Pipeline, FloodSharesPayloadsAndCopiesOnlyHeaders) {
  BridgeHarness br({{"in", VlanPolicy::access(10)},
                    {"a1", VlanPolicy::access(10)},
                    {"a2", VlanPolicy::access(10)},
                    {"t1", VlanPolicy::trunk({10})},
                    {"t2", VlanPolicy::trunk({10})}});
  br.send("in", {.src = kA, .payload = 1400});
  rte_mbuf *a1, *a2, *t1, *t2;
  ASSERT_EQ(br.port("a1").collect(&a1, 1), 1u);
  ASSERT_EQ(br.port("a2").collect(&a2, 1), 1u);
  ASSERT_EQ(br.port("t1").collect(&t1, 1), 1u);
  ASSERT_EQ(br.port("t2").collect(&t2, 1), 1u);
  // Untagged outputs share the original mbuf; tagged ones share one header copy whose body
  // is an indirect mbuf over the original's data.
  EXPECT_EQ(a1, a2);
  EXPECT_EQ(t1, t2);
  EXPECT_EQ(t1->nb_segs, 2);
  ASSERT_NE(t1->next, nullptr);
  EXPECT_TRUE(RTE_MBUF_CLONED(t1->next));
  EXPECT_EQ(rte_mbuf_from_indirect(t1->next), a1);
  EXPECT_EQ(decode(t1).vid, 10);
  EXPECT_TRUE(decode(t1).payload_intact);
  for (auto m : {a1, a2, t1, t2}) rte_pktmbuf_free(m);
  EXPECT_EQ(br.leaked(), 0);
}

TEST(Pipeline, RemovedPortsLoseTheirMacsAndReturnEveryMbuf) {
  BridgeHarness br(four_trunks());
  br.send("p4", {.src = kC});
  br.send("p3", {.src = kB});
  br.received_all();
  EXPECT_EQ(br.fdb().stats().entries, 2u);
  br.remove_port("p4");
  EXPECT_EQ(br.fdb().stats().entries, 1u);
  br.send("p1", {.dst = kC, .src = kA});  // C is unknown again: flooded to p2, p3
  auto out = br.received_all();
  EXPECT_EQ(out["p2"].size(), 1u);
  EXPECT_EQ(out["p3"].size(), 1u);
  br.add_port({"p5", {}});
  br.send("p1", {.src = kA});
  EXPECT_EQ(br.received("p5").size(), 1u);
  br.received_all();
  EXPECT_EQ(br.leaked(), 0);
}

TEST(Pipeline, SplitHorizonKeepsFramesFromTunnelsOutOfOtherTunnels) {
  BridgeHarness br({{"local", {}}, {"tun1", {}, true, 1}, {"tun2", {}, true, 1}});
  br.send("tun1", {.src = kA});  // broadcast from a tunnel: to the local port only
  auto out = br.received_all();
  EXPECT_EQ(out["local"].size(), 1u);
  EXPECT_EQ(out["tun2"].size(), 0u);
  br.send("tun2", {.dst = kC, .src = kB});
  br.received_all();
  br.send("tun1", {.dst = kB, .src = kA});  // B is known behind tun2: still not sent there
  EXPECT_EQ(br.received("tun2").size(), 0u);
  EXPECT_EQ(br.drops("tun1", DropReason::kSplitHorizon), 1u);
  br.send("local", {.src = kC});  // a local broadcast reaches every tunnel once
  out = br.received_all();
  EXPECT_EQ(out["tun1"].size(), 1u);
  EXPECT_EQ(out["tun2"].size(), 1u);
}

}  // namespace
}  // namespace lvs::test
