// Port::send skips its queue's spinlock only where the datapath gave the queue to one PMD
// (Port::assign_tx_queues), and keeps it where PMDs, or a control thread, share the queue.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "ports/ring_port.hpp"
#include "switch/datapath.hpp"
#include "switch/rate_limit.hpp"
#include "switch/tx_batch.hpp"
#include "tests/support/frames.hpp"

namespace lvs::test {
namespace {

using sw::DropReason;

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

// tx_bytes comes from the lengths the TX batch summed as frames were queued, recounted when an
// egress limit kept only some of them.
uint64_t queue_and_flush(sw::TxBatches& tx, ports::RingPort& port, unsigned frames,
                         uint64_t& sent_bytes) {
  for (unsigned i = 0; i < frames; ++i)
    tx.push(0, make_frame(test_pool(), {.payload = static_cast<uint16_t>(46 + (i % 7) * 200)}));
  tx.flush();
  rte_mbuf* out[64];
  uint64_t n = 0;
  while (const unsigned k = port.collect(out, 64)) {
    for (unsigned i = 0; i < k; ++i) sent_bytes += rte_pktmbuf_pkt_len(out[i]);
    rte_pktmbuf_free_bulk(out, k);
    n += k;
  }
  return n;
}

TEST(PortTxQueue, TxBytesAreTheLengthsOfWhatLeftWithAndWithoutAnEgressLimit) {
  ports::RingPort port("out");
  sw::TxBatches tx(0);
  tx.reset({&port});
  uint64_t bytes = 0;
  EXPECT_EQ(queue_and_flush(tx, port, 45, bytes), 45u);  // one full burst of 32, then 13
  EXPECT_EQ(port.stats().read().tx_bytes, bytes);
  // A bucket a little over 64 KiB deep, never refilled: it keeps only the first frames.
  sw::ByteBucket limit({.rate_kbps = 8, .burst_kbit = 1}, 1, 1'000'000'000, 0);
  tx.set_egress_limits({&limit});
  const uint64_t before = port.stats().read().tx_packets;
  const uint64_t left = queue_and_flush(tx, port, 128, bytes);
  EXPECT_GT(left, 0u);
  EXPECT_LT(left, 128u);
  const sw::PortCounters c = port.stats().read();
  EXPECT_EQ(c.tx_packets - before, left);
  EXPECT_EQ(c.tx_bytes, bytes);
  EXPECT_EQ(c.drops[static_cast<size_t>(DropReason::kEgressShaped)], 128 - left);
}

}  // namespace
}  // namespace lvs::test
