// Port::send skips its queue's spinlock only where the datapath gave the queue to one PMD
// (Port::assign_tx_queues), and keeps it where PMDs, or a control thread, share the queue.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "ports/ring_port.hpp"
#include "switch/datapath.hpp"
#include "tests/support/frames.hpp"

namespace lvs::test {
namespace {

// Takes every frame and frees it; notes when two threads are inside tx_burst on one queue.
class OverlapPort final : public sw::Port {
 public:
  explicit OverlapPort(uint16_t queues) : Port("overlap", queues) {}
  std::string_view kind() const override { return "test"; }
  uint16_t rx_burst(uint16_t, rte_mbuf**, uint16_t) override { return 0; }
  uint16_t tx_burst(uint16_t q, rte_mbuf** pkts, uint16_t n) override {
    if (inside_[q].fetch_add(1) != 0) overlaps_.fetch_add(1);
    for (int i = 0; i < 200; ++i) spin_.fetch_add(1, std::memory_order_relaxed);  // a device's work
    inside_[q].fetch_sub(1);
    rte_pktmbuf_free_bulk(pkts, n);
    return n;
  }
  uint64_t overlaps() const { return overlaps_.load(); }

 private:
  std::atomic<int> inside_[4] = {};
  std::atomic<uint64_t> overlaps_{0}, spin_{0};
};

TEST(PortTxQueue, EveryQueueKeepsItsLockUntilTheDatapathAssignsThem) {
  OverlapPort p(2);
  EXPECT_FALSE(p.tx_queue_exclusive(0));
  EXPECT_FALSE(p.tx_queue_exclusive(1));
}

TEST(PortTxQueue, AQueueIsLockFreeOnlyWhenExactlyOnePmdMapsToIt) {
  OverlapPort one(1);
  one.assign_tx_queues(1);
  EXPECT_TRUE(one.tx_queue_exclusive(0));
  one.assign_tx_queues(2);  // PMDs 0 and 1 both send on queue 0
  EXPECT_FALSE(one.tx_queue_exclusive(0));

  OverlapPort two(2);
  two.assign_tx_queues(2);
  EXPECT_TRUE(two.tx_queue_exclusive(0));
  EXPECT_TRUE(two.tx_queue_exclusive(1));
  two.assign_tx_queues(3);  // PMDs 0 and 2 on queue 0, PMD 1 alone on queue 1
  EXPECT_FALSE(two.tx_queue_exclusive(0));
  EXPECT_TRUE(two.tx_queue_exclusive(1));
  two.assign_tx_queues(1);  // queue 1 is nobody's: its lock costs nothing, keep it
  EXPECT_TRUE(two.tx_queue_exclusive(0));
  EXPECT_FALSE(two.tx_queue_exclusive(1));
}

TEST(PortTxQueue, AControlThreadSenderKeepsEveryLockForGood) {
  OverlapPort p(2);
  p.assign_tx_queues(2);
  p.add_control_sender();
  EXPECT_FALSE(p.tx_queue_exclusive(0));
  EXPECT_FALSE(p.tx_queue_exclusive(1));
  p.assign_tx_queues(2);
  EXPECT_FALSE(p.tx_queue_exclusive(0));
  EXPECT_FALSE(p.tx_queue_exclusive(1));
}

TEST(PortTxQueue, TwoPmdsOnOneSharedQueueNeverSendAtOnce) {
  OverlapPort p(1);
  p.assign_tx_queues(2);
  ASSERT_FALSE(p.tx_queue_exclusive(0));
  auto run = [&](unsigned pmd) {
    for (int i = 0; i < 20000; ++i) {
      rte_mbuf* m = make_frame(test_pool(), {});
      ASSERT_NE(m, nullptr);
      p.send(pmd, &m, 1);
    }
  };
  std::thread a(run, 0), b(run, 1);
  a.join();
  b.join();
  EXPECT_EQ(p.overlaps(), 0u);
  EXPECT_EQ(p.stats().read().tx_packets, 40000u);
}

sw::DatapathConfig two_ring_ports(std::shared_ptr<sw::Port> a, std::shared_ptr<sw::Port> b,
                                  bool rstp) {
  sw::DatapathConfig cfg;
  sw::BridgeConfig br;
  br.name = "br0";
  br.rstp = rstp;
  br.ports.push_back({.name = "a", .port = std::move(a)});
  br.ports.push_back({.name = "b", .port = std::move(b)});
  cfg.bridges.push_back(std::move(br));
  return cfg;
}

TEST(PortTxQueue, TheDatapathGivesOnePmdItsQueuesAndSharesThemBetweenTwo) {
  auto a = std::make_shared<ports::RingPort>("a"), b = std::make_shared<ports::RingPort>("b");
  {
    sw::Datapath dp({.pmd_threads = 1});
    ASSERT_FALSE(dp.apply(two_ring_ports(a, b, false)));
    EXPECT_TRUE(a->tx_queue_exclusive(0));
    EXPECT_TRUE(b->tx_queue_exclusive(0));
  }
  auto c = std::make_shared<ports::RingPort>("c"), d = std::make_shared<ports::RingPort>("d");
  sw::Datapath dp2({.pmd_threads = 2});
  ASSERT_FALSE(dp2.apply(two_ring_ports(c, d, false)));
  EXPECT_FALSE(c->tx_queue_exclusive(0));
  EXPECT_FALSE(d->tx_queue_exclusive(0));
}

TEST(PortTxQueue, PortsOfASpanningTreeBridgeKeepTheirLocksForTheBpdusOfTheControlThread) {
  auto a = std::make_shared<ports::RingPort>("a"), b = std::make_shared<ports::RingPort>("b");
  sw::Datapath dp({.pmd_threads = 1});
  ASSERT_FALSE(dp.apply(two_ring_ports(a, b, false)));
  EXPECT_TRUE(a->tx_queue_exclusive(0));
  ASSERT_FALSE(dp.apply(two_ring_ports(a, b, true)));
  EXPECT_FALSE(a->tx_queue_exclusive(0));
  EXPECT_FALSE(b->tx_queue_exclusive(0));
  ASSERT_FALSE(dp.apply(two_ring_ports(a, b, false)));  // a BPDU may still be on its way
  EXPECT_FALSE(a->tx_queue_exclusive(0));
}

}  // namespace
}  // namespace lvs::test
