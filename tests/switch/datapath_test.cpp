#include "switch/datapath.hpp"

#include <gtest/gtest.h>
#include <rte_cycles.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <atomic>
#include <thread>

#include "tests/support/bridge_harness.hpp"
#include "tests/support/wait_until.hpp"

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
  wait_until(done, std::chrono::seconds(20));
}

// A ring port with an rx wait fd (an eventfd written by inject), as kernel-backed ports have: a
// PMD whose queues all have fds sleeps in poll() for up to 200 ms instead of napping <= 1 ms, so
// only the datapath's wake-up can make it look at a new port sooner.
class FdRingPort final : public sw::Port {
 public:
  explicit FdRingPort(std::string name) : Port(name), ring_(name), fd_(eventfd(0, EFD_NONBLOCK)) {}
  ~FdRingPort() override { close(fd_); }
  std::string_view kind() const override { return "ring"; }
  int rx_wait_fd(uint16_t) const override { return fd_; }
  uint16_t rx_burst(uint16_t q, rte_mbuf** pkts, uint16_t n) override {
    uint64_t v;
    [[maybe_unused]] ssize_t r = read(fd_, &v, sizeof(v));  // clear first: a later inject sets it
    return ring_.rx_burst(q, pkts, n);
  }
  uint16_t tx_burst(uint16_t q, rte_mbuf** pkts, uint16_t n) override {
    return ring_.tx_burst(q, pkts, n);
  }
  void inject(rte_mbuf* m) {
    ASSERT_EQ(ring_.inject(&m, 1), 1u);
    const uint64_t one = 1;
    ASSERT_EQ(write(fd_, &one, sizeof(one)), static_cast<ssize_t>(sizeof(one)));
  }
  ports::RingPort& ring() { return ring_; }

 private:
  ports::RingPort ring_;
  int fd_;
};

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
  ASSERT_TRUE(wait_until([&] { return br.datapath().pmd_stats()[0].wakeups > 10; },
                         std::chrono::seconds(20)));
  auto idle = br.datapath().pmd_stats()[0];
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
  // Polling for ten quiet periods (200 us each) would have put an adaptive PMD to sleep.
  const uint64_t ten_quiet = rte_get_tsc_hz() / 1'000'000 * 200 * 10;
  ASSERT_TRUE(wait_until([&] { return br.datapath().pmd_stats()[0].idle_cycles > ten_quiet; },
                         std::chrono::seconds(20)));
  br.datapath().stop();
  const auto st = br.datapath().pmd_stats()[0];
  EXPECT_EQ(st.wakeups, 0u);
  EXPECT_EQ(st.sleep_cycles, 0u);
}

TEST(Datapath, ConfigurationChangesReachASleepingPmd) {
  using namespace std::chrono;
  sw::ManualClock clock;
  sw::Datapath dp({.pmd_threads = 1,
                   .pmd_cores = {},
                   .pool = test_pool(),
                   .clock = &clock,
                   .pmd_sleep = true,
                   .quiet_us = 100});
  std::map<std::string, std::shared_ptr<FdRingPort>> ports;
  sw::DatapathConfig config{
      .bridges = {{.name = "br0", .fdb = {}, .forward_bpdu = false, .ports = {}}}};
  auto add = [&](const std::string& name) {
    ports[name] = std::make_shared<FdRingPort>(name);
    config.bridges[0].ports.push_back({.name = name, .port = ports[name]});
    ASSERT_FALSE(dp.apply(config));
  };
  add("a");
  add("b");
  dp.start();
  // Catch the PMD as it goes to sleep: it publishes its wake-up count just before each sleep,
  // and with fds on every queue each sleep lasts 200 ms unless something wakes it.
  const uint64_t w1 = dp.pmd_stats()[0].wakeups;
  ASSERT_TRUE(wait_until([&] { return dp.pmd_stats()[0].wakeups > w1; }, seconds(20)));
  const auto t0 = steady_clock::now();
  add("c");  // apply() must not wait for the sleeper, and must wake it
  ports["c"]->inject(make_frame(test_pool(), {.src = "02:00:00:00:00:0c"}));
  ASSERT_TRUE(wait_until([&] { return ports["a"]->ring().pending_tx() == 1; }, seconds(20)));
  const auto took = duration_cast<milliseconds>(steady_clock::now() - t0);
  // Woken, it forwards in well under a millisecond; asleep until its timeout, ~200 ms.
  EXPECT_LT(took.count(), 100) << "the sleeping PMD saw the new port only after its timeout";
  dp.stop();
  for (auto& [name, p] : ports) p->ring().drain();
}

}  // namespace
}  // namespace lvs::test
