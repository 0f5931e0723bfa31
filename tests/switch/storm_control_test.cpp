#include "switch/storm_control.hpp"

#include <gtest/gtest.h>

#include <deque>

#include "dpdk/mempool.hpp"
#include "switch/datapath.hpp"
#include "tests/support/bridge_harness.hpp"

namespace lvs::test {
namespace {

using sw::DropReason;
using sw::FloodKind;
using sw::StormBuckets;
using sw::StormLimits;

constexpr const char* kA = "02:00:00:00:00:0a";
constexpr const char* kB = "02:00:00:00:00:0b";
constexpr const char* kUnknown = "02:00:00:00:00:99";
constexpr const char* kBroadcast = "ff:ff:ff:ff:ff:ff";
constexpr const char* kMulticast = "01:00:5e:00:00:fb";

constexpr uint64_t kHz = 1'000'000'000;  // the manual clock's cycles are nanoseconds

// Offers `frames` frames of kind `k`, one every `gap_ns`; returns how many were admitted.
uint64_t offer(StormBuckets& b, FloodKind k, uint64_t frames, uint64_t gap_ns, uint64_t& now) {
  uint64_t admitted = 0;
  for (uint64_t i = 0; i < frames; ++i) {
    now += gap_ns;
    b.refill(now);
    admitted += b.admit(k);
  }
  return admitted;
}

TEST(StormBuckets, AdmitsTheRatePlusOneDepthOverASecond) {
  for (uint64_t pps : {10u, 1'000u, 50'000u, 3'000'000u}) {
    uint64_t now = 5'000'000'000;
    StormBuckets b({.broadcast_pps = pps}, 1, kHz, now);
    // Offered for one second at 4x what the bucket can give in that time.
    const uint64_t most = pps + sw::storm_depth(pps);
    const uint64_t admitted = offer(b, FloodKind::kBroadcast, 4 * most, kHz / (4 * most), now);
    const double expected = static_cast<double>(most);
    EXPECT_NEAR(static_cast<double>(admitted), expected, expected * 0.01 + 1) << pps << " pps";
  }
}

TEST(StormBuckets, BelowTheRateEverythingPasses) {
  uint64_t now = 0;
  StormBuckets b({.multicast_pps = 1000}, 1, kHz, now);
  EXPECT_EQ(offer(b, FloodKind::kMulticast, 5000, kHz / 900, now), 5000u);
}

TEST(StormBuckets, UnsetKindsAreUnlimitedAndZeroDropsAll) {
  uint64_t now = 0;
  StormBuckets b({.broadcast_pps = 0}, 1, kHz, now);
  EXPECT_EQ(offer(b, FloodKind::kBroadcast, 1000, 1'000'000, now), 0u);
  EXPECT_EQ(offer(b, FloodKind::kMulticast, 100'000, 1, now), 100'000u);
  EXPECT_EQ(offer(b, FloodKind::kUnknownUnicast, 100'000, 0, now), 100'000u);
}

TEST(StormBuckets, ALongIdlePeriodFillsOnlyOneDepth) {
  uint64_t now = 1;
  StormBuckets b({.unknown_unicast_pps = 100}, 1, kHz, now);
  now += 10ULL * 365 * 24 * 3600 * kHz;  // ten years: the credit must saturate, not wrap
  EXPECT_EQ(offer(b, FloodKind::kUnknownUnicast, 1000, 1, now), sw::storm_depth(100));
}

TEST(StormBuckets, ASharedPortGetsItsRateSplitBetweenPmds) {
  uint64_t now = 0;
  StormBuckets b({.broadcast_pps = 10'000}, 4, kHz, now);
  const uint64_t admitted = offer(b, FloodKind::kBroadcast, 20'000, kHz / 20'000, now);
  EXPECT_NEAR(static_cast<double>(admitted), 2500.0 + sw::storm_depth(2500), 30.0);
}

// Through the pipeline, on a bridge of ring ports with the harness's manual clock.
class StormPipeline : public testing::Test {
 protected:
  // Sends `frames` frames of `spec` into `port`, one every `gap_us`, emptying the outputs as it
  // goes; returns how many frames each other port transmitted.
  std::map<std::string, uint64_t> run(BridgeHarness& br, const std::string& port,
                                      const FrameSpec& spec, unsigned frames, uint64_t gap_us) {
    std::map<std::string, uint64_t> before;
    for (auto p : {"p1", "p2", "p3"}) before[p] = br.counters(p).tx_packets;
    const auto bytes = frame_bytes(spec);
    for (unsigned i = 0; i < frames; ++i) {
      br.clock().advance_us(gap_us);
      br.send_raw(port, bytes);
      if (i % 256 == 0)
        for (auto p : {"p1", "p2", "p3"}) br.port(p).drain();
    }
    std::map<std::string, uint64_t> sent;
    for (auto p : {"p1", "p2", "p3"}) {
      br.port(p).drain();
      sent[p] = br.counters(p).tx_packets - before[p];
    }
    return sent;
  }
};

TEST_F(StormPipeline, BroadcastIsCutToItsRateAndTheDropsAreCounted) {
  BridgeHarness br(
      {{.name = "p1", .storm = {.broadcast_pps = 1000}}, {.name = "p2"}, {.name = "p3"}});
  // 10,000 broadcasts in one second: 10x the rate.
  auto sent = run(br, "p1", {.dst = kBroadcast, .src = kA}, 10'000, 100);
  const double expected = 1000 + sw::storm_depth(1000);
  EXPECT_NEAR(static_cast<double>(sent["p2"]), expected, expected * 0.02);
  EXPECT_EQ(sent["p2"], sent["p3"]);
  EXPECT_EQ(br.drops("p1", DropReason::kStormBroadcast), 10'000 - sent["p2"]);
  EXPECT_EQ(br.drops("p1", DropReason::kStormMulticast), 0u);
  EXPECT_EQ(br.drops("p1", DropReason::kStormUnknownUnicast), 0u);
  EXPECT_EQ(br.counters("p1").rx_packets, 10'000u);
  EXPECT_EQ(br.leaked(), 0);
}

TEST_F(StormPipeline, EachKindHasItsOwnBucket) {
  BridgeHarness br(
      {{.name = "p1",
        .storm = {.broadcast_pps = 100, .multicast_pps = 200, .unknown_unicast_pps = 300}},
       {.name = "p2"},
       {.name = "p3"}});
  br.send("p2", {.dst = kA, .src = kB});  // learn B on p2
  br.port("p1").drain();
  br.port("p3").drain();
  // One second of each kind at 2,000 frames/s, interleaved, plus known unicast to B.
  const auto bc = frame_bytes({.dst = kBroadcast, .src = kA});
  const auto mc = frame_bytes({.dst = kMulticast, .src = kA});
  const auto uu = frame_bytes({.dst = kUnknown, .src = kA});
  const auto known = frame_bytes({.dst = kB, .src = kA});
  const uint64_t p3_before = br.counters("p3").tx_packets, p2_before = br.counters("p2").tx_packets;
  for (int i = 0; i < 2000; ++i) {
    br.clock().advance_us(500);
    br.send_raw("p1", bc);
    br.send_raw("p1", mc);
    br.send_raw("p1", uu);
    br.send_raw("p1", known);
    if (i % 64 == 0)
      for (auto p : {"p2", "p3"}) br.port(p).drain();
  }
  for (auto p : {"p2", "p3"}) br.port(p).drain();
  const uint64_t flooded = br.counters("p3").tx_packets - p3_before;  // p3 sees only floods
  const uint64_t at_p2 = br.counters("p2").tx_packets - p2_before;    // floods + known unicast
  const uint64_t bc_drops = br.drops("p1", DropReason::kStormBroadcast);
  const uint64_t mc_drops = br.drops("p1", DropReason::kStormMulticast);
  const uint64_t uu_drops = br.drops("p1", DropReason::kStormUnknownUnicast);
  EXPECT_NEAR(static_cast<double>(2000 - bc_drops), 100 + 32, 4);
  EXPECT_NEAR(static_cast<double>(2000 - mc_drops), 200 + 32, 5);
  EXPECT_NEAR(static_cast<double>(2000 - uu_drops), 300 + 32, 7);
  EXPECT_EQ(flooded, 3 * 2000 - bc_drops - mc_drops - uu_drops);
  EXPECT_EQ(at_p2, flooded + 2000) << "known unicast is never policed";
  EXPECT_EQ(br.leaked(), 0);
}

TEST_F(StormPipeline, UnsetMeansUnlimitedAndLimitsArePerPort) {
  // p1 limits only broadcast; p2 has no limits at all.
  BridgeHarness br(
      {{.name = "p1", .storm = {.broadcast_pps = 10}}, {.name = "p2"}, {.name = "p3"}});
  EXPECT_EQ(run(br, "p2", {.dst = kBroadcast, .src = kB}, 5000, 10)["p3"], 5000u);
  EXPECT_EQ(run(br, "p1", {.dst = kMulticast, .src = kA}, 5000, 10)["p3"], 5000u);
  EXPECT_EQ(run(br, "p1", {.dst = kUnknown, .src = kA}, 5000, 10)["p3"], 5000u);
  EXPECT_EQ(br.counters("p1").total_drops() + br.counters("p2").total_drops(), 0u);
  EXPECT_EQ(br.leaked(), 0);
}

TEST_F(StormPipeline, FramesOverTheRateTeachNothingAndAdmittedOnesDo) {
  BridgeHarness br({{.name = "p1", .storm = {.broadcast_pps = 0, .multicast_pps = 1000}},
                    {.name = "p2"},
                    {.name = "p3"}});
  auto sent = run(br, "p1", {.dst = kBroadcast, .src = kA}, 100, 10);
  EXPECT_EQ(sent["p2"] + sent["p3"], 0u);
  EXPECT_EQ(br.drops("p1", DropReason::kStormBroadcast), 100u);
  // A looped copy over the rate must not move A onto p1: replies to A are still flooded.
  EXPECT_EQ(br.fdb().stats().entries, 0u);
  sent = run(br, "p2", {.dst = kA, .src = kB}, 1, 10);
  EXPECT_EQ(sent["p1"], 1u);
  EXPECT_EQ(sent["p3"], 1u);
  // An admitted multicast from A teaches A: replies are unicast to p1.
  run(br, "p1", {.dst = kMulticast, .src = kA}, 1, 10);
  sent = run(br, "p2", {.dst = kA, .src = kB}, 10, 10);
  EXPECT_EQ(sent["p1"], 10u);
  EXPECT_EQ(sent["p3"], 0u);
  EXPECT_EQ(br.leaked(), 0);
}

TEST_F(StormPipeline, AFrameToItselfIsAHairpinWithOrWithoutStormControl) {
  for (bool limited : {false, true}) {
    BridgeHarness br(
        {{.name = "p1", .storm = limited ? StormLimits{.unknown_unicast_pps = 10} : StormLimits{}},
         {.name = "p2"},
         {.name = "p3"}});
    auto sent = run(br, "p1", {.dst = kA, .src = kA}, 5, 10);
    EXPECT_EQ(sent["p2"] + sent["p3"], 0u) << limited;
    EXPECT_EQ(br.drops("p1", DropReason::kHairpin), 5u) << limited;
  }
}

TEST_F(StormPipeline, LimitsFollowTheConfiguration) {
  BridgeHarness br({{.name = "p1"}, {.name = "p2"}, {.name = "p3"}});
  const FrameSpec bc{.dst = kBroadcast, .src = kA};
  EXPECT_EQ(run(br, "p1", bc, 2000, 1000)["p2"], 2000u);
  br.config().bridges[0].ports[0].storm.broadcast_pps = 500;
  br.apply();
  EXPECT_NEAR(static_cast<double>(run(br, "p1", bc, 2000, 1000)["p2"]), 1000 + 32, 25);
  br.config().bridges[0].ports[0].storm = {};
  br.apply();
  EXPECT_EQ(run(br, "p1", bc, 2000, 1000)["p2"], 2000u);
  EXPECT_EQ(br.leaked(), 0);
}

TEST(StormConfig, RatesAboveTheMaximumAreRefused) {
  BridgeHarness br({{.name = "p1"}, {.name = "p2"}});
  br.config().bridges[0].ports[0].storm.multicast_pps = sw::kMaxStormPps + 1;
  auto err = br.datapath().apply(br.config());
  ASSERT_TRUE(err);
  EXPECT_NE(err->find("p1"), std::string::npos) << *err;
}

// A port with several rx queues (as a DPDK port with RSS): frames put on a queue by the test;
// what it is sent is counted and freed.
class MultiQueuePort final : public sw::Port {
 public:
  MultiQueuePort(std::string name, uint16_t queues) : Port(std::move(name)), rx_(queues) {}
  ~MultiQueuePort() override {
    for (auto& q : rx_)
      for (rte_mbuf* m : q) rte_pktmbuf_free(m);
  }
  std::string_view kind() const override { return "test"; }
  uint16_t rx_queue_count() const override { return static_cast<uint16_t>(rx_.size()); }
  uint16_t rx_burst(uint16_t q, rte_mbuf** pkts, uint16_t n) override {
    uint16_t got = 0;
    while (got < n && !rx_[q].empty()) {
      pkts[got++] = rx_[q].front();
      rx_[q].pop_front();
    }
    return got;
  }
  uint16_t tx_burst(uint16_t, rte_mbuf** pkts, uint16_t n) override {
    rte_pktmbuf_free_bulk(pkts, n);
    return n;
  }
  void put(uint16_t q, rte_mbuf* m) { rx_[q].push_back(m); }

 private:
  std::vector<std::deque<rte_mbuf*>> rx_;
};

TEST(StormDatapath, APortPolledByTwoPmdsSplitsItsRateAndNeverExceedsIt) {
  sw::ManualClock clock;
  const unsigned in_use = dpdk::pool_in_use(test_pool());
  {
    sw::Datapath dp({.pmd_threads = 2, .pmd_cores = {}, .pool = test_pool(), .clock = &clock});
    auto mq = std::make_shared<MultiQueuePort>("mq", 2);
    auto out = std::make_shared<MultiQueuePort>("out", 1);
    sw::DatapathConfig cfg;
    cfg.bridges.push_back({.name = "br0", .fdb = {}, .forward_bpdu = false, .ports = {}});
    cfg.bridges[0].ports.push_back({"mq", mq, {}, true, 0, {.broadcast_pps = 1000}});
    cfg.bridges[0].ports.push_back({"out", out, {}, true, 0, {}});
    ASSERT_FALSE(dp.apply(cfg));
    // Queue i of "mq" is polled by PMD i (queues are spread in name order).
    const auto stats = dp.pmd_stats();
    ASSERT_EQ(stats[0].rx_queues[0], "br0/mq:0");
    ASSERT_EQ(stats[1].rx_queues[0], "br0/mq:1");
    const auto bc = frame_bytes({.dst = kBroadcast, .src = kA});
    // One second of 2,000 broadcasts/s on each queue, then one second on queue 0 alone.
    auto second = [&](bool both) {
      const uint64_t before = out->stats().read().tx_packets;
      for (int i = 0; i < 2000; ++i) {
        clock.advance_us(500);
        mq->put(0, make_raw(test_pool(), bc));
        if (both) mq->put(1, make_raw(test_pool(), bc));
        dp.poll_once(0);
        dp.poll_once(1);
      }
      return out->stats().read().tx_packets - before;
    };
    const uint64_t spread = second(true), one_queue = second(false);
    // Each PMD admits 500/s (+ a depth of 32 once): the port's total stays at its rate.
    EXPECT_NEAR(static_cast<double>(spread), 1000 + 2 * 32, 10);
    EXPECT_NEAR(static_cast<double>(one_queue), 500, 10);
    EXPECT_EQ(mq->stats().read().drops[static_cast<size_t>(DropReason::kStormBroadcast)],
              6000 - spread - one_queue);
  }
  EXPECT_EQ(dpdk::pool_in_use(test_pool()), in_use);
}

}  // namespace
}  // namespace lvs::test
