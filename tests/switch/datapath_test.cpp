#include "switch/datapath.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "tests/support/bridge_harness.hpp"

namespace lvs::test {
namespace {

// Keeps injecting learned-unicast frames src->dst on `from` until `total` were accepted, never
// more than a ring's worth ahead of what the sink has drained (the rings would drop, as a
// switch must when its output is full; these tests look for losses of another kind).
void pump(ports::RingPort& from, const char* src, const char* dst, unsigned total,
          const std::atomic<unsigned>& drained) {
  unsigned sent = 0;
  while (sent < total) {
    while (static_cast<long>(sent) - static_cast<long>(drained.load()) > 512)
      std::this_thread::yield();
    rte_mbuf* burst[32];
    const unsigned n = std::min(32u, total - sent);
    for (unsigned i = 0; i < n; ++i) burst[i] = make_frame(test_pool(), {.dst = dst, .src = src});
    unsigned done = 0;
    while (done < n) {
      done += from.inject(burst + done, n - done);
      if (done < n) std::this_thread::yield();
    }
    sent += n;
  }
}

// Drains `to` until `expected` frames arrived or `stop` is set; returns how many arrived.
void sink(ports::RingPort& to, unsigned expected, const std::atomic<bool>& stop,
          std::atomic<unsigned>& got) {
  rte_mbuf* pkts[64];
  while (got < expected && !stop) {
    const unsigned n = to.collect(pkts, 64);
    for (unsigned i = 0; i < n; ++i) rte_pktmbuf_free(pkts[i]);
    got += n;
    if (n == 0) std::this_thread::yield();
  }
}

// Waits until `done` holds or 20 s passed.
template <typename Pred>
void wait_for(Pred done) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (!done() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
}

TEST(Datapath, TwoPmdThreadsForwardConcurrently) {
  BridgeHarness br({{"a", {}}, {"b", {}}, {"c", {}}, {"d", {}}}, {}, false, /*pmds=*/2);
  // Teach the table where every station is, then run both PMDs.
  br.send("a", {.src = "02:00:00:00:00:0a"});
  br.send("b", {.src = "02:00:00:00:00:0b"});
  br.send("c", {.src = "02:00:00:00:00:0c"});
  br.send("d", {.src = "02:00:00:00:00:0d"});
  br.received_all();
  auto stats = br.datapath().pmd_stats();
  ASSERT_EQ(stats.size(), 2u);
  EXPECT_EQ(stats[0].rx_queues.size(), 2u);
  EXPECT_EQ(stats[1].rx_queues.size(), 2u);

  const uint64_t b_tx_before = br.counters("b").tx_packets;
  br.datapath().start();
  constexpr unsigned kFrames = 50'000;
  std::atomic<bool> stop{false};
  std::atomic<unsigned> got_b{0}, got_d{0};
  std::thread sb([&] { sink(br.port("b"), kFrames, stop, got_b); });
  std::thread sd([&] { sink(br.port("c"), kFrames, stop, got_d); });
  std::thread pa(
      [&] { pump(br.port("a"), "02:00:00:00:00:0a", "02:00:00:00:00:0b", kFrames, got_b); });
  // a and d are polled by different PMDs (rx queues go round-robin in name order).
  pump(br.port("d"), "02:00:00:00:00:0d", "02:00:00:00:00:0c", kFrames, got_d);
  pa.join();
  wait_for([&] { return got_b == kFrames && got_d == kFrames; });
  stop = true;
  sb.join();
  sd.join();
  br.datapath().stop();
  EXPECT_EQ(got_b.load(), kFrames);
  EXPECT_EQ(got_d.load(), kFrames);
  EXPECT_EQ(br.counters("b").tx_packets - b_tx_before, kFrames);
  uint64_t moved = 0;
  for (const auto& s : br.datapath().pmd_stats()) {
    EXPECT_GT(s.packets, 0u) << "pmd " << s.index << " forwarded nothing";
    moved += s.packets;
  }
  EXPECT_EQ(moved, 2u * kFrames);  // start() zeroes the counters of the teaching frames
  br.received_all();
  EXPECT_EQ(br.leaked(), 0);
}

TEST(Datapath, PortsComeAndGoWhileTrafficFlowsOnOthers) {
  BridgeHarness br({{"a", {}}, {"b", {}}});
  br.send("b", {.src = "02:00:00:00:00:0b"});
  br.received_all();
  br.datapath().start();
  constexpr unsigned kFrames = 100'000;
  std::atomic<bool> stop{false};
  std::atomic<unsigned> got{0};
  std::thread s([&] { sink(br.port("b"), kFrames, stop, got); });
  std::thread churn([&] {
    const std::string names[4] = {"x0", "x1", "x2", "x3"};
    for (int i = 0; i < 40; ++i) {
      br.add_port({names[i % 4], {}});
      br.remove_port(names[i % 4]);
    }
  });
  pump(br.port("a"), "02:00:00:00:00:0a", "02:00:00:00:00:0b", kFrames, got);
  churn.join();
  wait_for([&] { return got == kFrames; });
  stop = true;
  s.join();
  br.datapath().stop();
  EXPECT_EQ(got.load(), kFrames);  // not one frame lost on the unrelated port
  EXPECT_EQ(br.counters("a").total_drops(), 0u);
  br.received_all();
  EXPECT_EQ(br.leaked(), 0);
}

TEST(Datapath, RejectsABadConfigurationAndKeepsTheOldOne) {
  BridgeHarness br({{"a", {}}, {"b", {}}});
  sw::DatapathConfig bad = br.config();
  bad.bridges.push_back(bad.bridges[0]);  // same bridge twice
  auto err = br.datapath().apply(bad);
  ASSERT_TRUE(err);
  EXPECT_NE(err->find("br0"), std::string::npos);
  br.send("a", {.src = "02:00:00:00:00:0a"});
  EXPECT_EQ(br.received("b").size(), 1u);
}

TEST(Datapath, MacTableResizeKeepsLearntEntries) {
  BridgeHarness br({{"a", {}}, {"b", {}}});
  br.send("a", {.src = "02:00:00:00:00:0a"});
  br.config().bridges[0].fdb.max_entries = 100'000;
  br.apply();
  EXPECT_EQ(br.fdb().settings().max_entries, 100'000u);
  EXPECT_EQ(br.fdb().stats().entries, 1u);
}

TEST(Datapath, IdlePmdSleepsAndWakesForTraffic) {
  BridgeHarness br({{"a", {}}, {"b", {}}});
  br.datapath().set_pmd_sleep(true, 200);
  br.datapath().start();
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  auto idle = br.datapath().pmd_stats()[0];
  EXPECT_GT(idle.wakeups, 10u);
  // Ring ports have no fd: the PMD naps in growing sleeps, so most of the time is sleep.
  EXPECT_GT(idle.sleep_cycles, idle.busy_cycles + idle.idle_cycles);
  rte_mbuf* m = make_frame(test_pool(), {.src = "02:00:00:00:00:0a"});
  br.port("a").inject(&m, 1);
  wait_for([&] { return br.port("b").pending_tx() == 1; });
  EXPECT_EQ(br.received("b").size(), 1u);
  br.datapath().stop();
}

TEST(Datapath, BusyPollingWhenSleepIsOff) {
  BridgeHarness br({{"a", {}}, {"b", {}}});
  br.datapath().set_pmd_sleep(false, 200);
  br.datapath().start();
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  br.datapath().stop();
  const auto st = br.datapath().pmd_stats()[0];
  EXPECT_EQ(st.wakeups, 0u);
  EXPECT_EQ(st.sleep_cycles, 0u);
}

TEST(Datapath, ConfigurationChangesReachASleepingPmd) {
  BridgeHarness br({{"a", {}}, {"b", {}}});
  br.datapath().set_pmd_sleep(true, 100);
  br.datapath().start();
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  br.add_port({"c", {}});  // apply() must not wait for the sleeper, and must wake it
  rte_mbuf* m = make_frame(test_pool(), {.src = "02:00:00:00:00:0c"});
  br.port("c").inject(&m, 1);
  wait_for([&] { return br.port("a").pending_tx() == 1; });
  EXPECT_EQ(br.received("a").size(), 1u);
  br.datapath().stop();
}

}  // namespace
}  // namespace lvs::test
