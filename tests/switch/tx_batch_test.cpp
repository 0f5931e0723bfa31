// Ports that leave by another port (Port::egress_port(), a tunnel with underlay=port): their
// bursts go to encapsulate(), whose outer frames join the egress port's batch and leave with its
// own output in one send (switch/tx_batch.hpp); and rx stages (switch/rx_stage.hpp) polled by the
// PMD of the queues they fill, before them.
#include "switch/tx_batch.hpp"

#include <gtest/gtest.h>

#include <deque>
#include <memory>
#include <vector>

#include "dpdk/mempool.hpp"
#include "switch/datapath.hpp"
#include "tests/support/frames.hpp"

namespace lvs::sw {
namespace {

rte_mempool* pool() {
  static rte_mempool* p = dpdk::create_pool({.name = "txb_pool", .mbufs = 1023, .cache = 0});
  return p;
}

// Keeps what it is sent, counts the sends; hands over `pending` on rx.
class Capture final : public Port {
 public:
  explicit Capture(std::string name) : Port(std::move(name)) {}
  ~Capture() override {
    for (auto* m : sent) rte_pktmbuf_free(m);
    for (auto* m : pending) rte_pktmbuf_free(m);
  }
  std::string_view kind() const override { return "capture"; }
  uint16_t rx_burst(uint16_t, rte_mbuf** pkts, uint16_t n) override {
    uint16_t k = 0;
    while (k < n && !pending.empty()) {
      pkts[k++] = pending.front();
      pending.pop_front();
    }
    return k;
  }
  uint16_t tx_burst(uint16_t, rte_mbuf** pkts, uint16_t n) override {
    ++sends;
    sent.insert(sent.end(), pkts, pkts + n);
    return n;
  }
  unsigned sends = 0;
  std::vector<rte_mbuf*> sent;
  std::deque<rte_mbuf*> pending;
};

// Leaves by `via`: "encapsulates" by marking the frame's first payload byte with `mark`.
class Encapsulating final : public Port {
 public:
  Encapsulating(std::string name, Port* via, uint8_t mark)
      : Port(std::move(name)), via_(via), mark_(mark) {}
  std::string_view kind() const override { return "encap"; }
  uint16_t rx_burst(uint16_t, rte_mbuf**, uint16_t) override { return 0; }
  uint16_t tx_burst(uint16_t, rte_mbuf** pkts, uint16_t n) override {
    ++direct_sends;
    rte_pktmbuf_free_bulk(pkts, n);
    return n;
  }
  Port* egress_port() const override { return via_; }
  void encapsulate(unsigned, rte_mbuf** pkts, uint16_t n, TxOutput& out) override {
    ++bursts;
    for (uint16_t i = 0; i < n; ++i) {
      rte_pktmbuf_mtod(pkts[i], uint8_t*)[14] = mark_;
      out.push(pkts[i]);
    }
  }
  unsigned bursts = 0, direct_sends = 0;

 private:
  Port* via_;
  uint8_t mark_;
};

rte_mbuf* frame() { return test::make_frame(pool(), {.dst = "02:00:00:00:00:02"}); }

TEST(TxBatches, EncapsulatedFramesJoinTheEgressPortsBatchAndLeaveInOneSend) {
  Capture uplink("uplink");
  Encapsulating t0("t0", &uplink, 0xa0), t1("t1", &uplink, 0xa1);
  TxBatches tx(0);
  tx.reset({&t0, &uplink, &t1});
  EXPECT_EQ(tx.egress_slot(0), 1u);
  EXPECT_EQ(tx.egress_slot(1), TxBatches::kNoSlot);
  EXPECT_EQ(tx.egress_slot(2), 1u);
  for (int i = 0; i < 10; ++i) tx.push(0, frame());
  for (int i = 0; i < 5; ++i) tx.push(1, frame());  // the uplink's own output
  for (int i = 0; i < 10; ++i) tx.push(2, frame());
  tx.flush();
  EXPECT_EQ(uplink.sends, 1u);
  ASSERT_EQ(uplink.sent.size(), 25u);
  EXPECT_EQ(t0.bursts, 1u);
  EXPECT_EQ(t1.bursts, 1u);
  EXPECT_EQ(t0.direct_sends + t1.direct_sends, 0u);
  unsigned marked[2] = {0, 0};
  for (auto* m : uplink.sent) {
    const uint8_t b = rte_pktmbuf_mtod(m, uint8_t*)[14];
    if (b == 0xa0 || b == 0xa1) ++marked[b - 0xa0];
  }
  EXPECT_EQ(marked[0], 10u);
  EXPECT_EQ(marked[1], 10u);
  EXPECT_EQ(uplink.stats().read().tx_packets, 25u);
}

TEST(TxBatches, AFullEgressBatchLeavesAt32AndTheRestAtTheFlush) {
  Capture uplink("uplink");
  Encapsulating t0("t0", &uplink, 0xa0);
  TxBatches tx(0);
  tx.reset({&t0, &uplink});
  for (int i = 0; i < 40; ++i) tx.push(0, frame());  // t0 fills at 32: 32 outer frames leave
  EXPECT_EQ(uplink.sends, 1u);
  EXPECT_EQ(uplink.sent.size(), 32u);
  tx.flush();
  EXPECT_EQ(uplink.sends, 2u);
  EXPECT_EQ(uplink.sent.size(), 40u);
}

TEST(TxBatches, WithoutItsEgressPortAPortIsSentToAsItIs) {
  Capture uplink("uplink");
  Encapsulating t0("t0", &uplink, 0xa0);
  TxBatches tx(0);
  tx.reset({&t0});
  EXPECT_EQ(tx.egress_slot(0), TxBatches::kNoSlot);
  tx.push(0, frame());
  tx.flush();
  EXPECT_EQ(t0.direct_sends, 1u);
  EXPECT_EQ(uplink.sends, 0u);
}

TEST(Datapath, EgressPortOnNoBridgeGetsASlotOfItsOwn) {
  auto src = std::make_shared<Capture>("src");
  auto uplink = std::make_shared<Capture>("uplink");
  auto t0 = std::make_shared<Encapsulating>("t0", uplink.get(), 0xa0);
  Datapath dp({.pmd_threads = 1, .pool = pool(), .pmd_sleep = false});
  DatapathConfig dc;
  BridgeConfig br{.name = "br"};
  br.ports.push_back({.name = "src", .port = src});
  br.ports.push_back({.name = "t0", .port = t0});
  dc.bridges = {br};
  ASSERT_EQ(dp.apply(dc), std::nullopt);
  for (int i = 0; i < 3; ++i) src->pending.push_back(frame());  // flooded: to t0 only
  EXPECT_EQ(dp.poll_once(0), 3u);
  EXPECT_EQ(t0->bursts, 1u);
  EXPECT_EQ(uplink->sends, 1u);
  EXPECT_EQ(uplink->sent.size(), 3u);
}

// Moves frames into the queues of the ports that name it, counting its polls.
class MovingStage final : public RxStage {
 public:
  std::string name() const override { return "stage s"; }
  unsigned poll(unsigned pmd) override {
    ++polls;
    last_pmd = static_cast<int>(pmd);
    unsigned n = 0;
    for (auto& [to, m] : waiting) {
      to->pending.push_back(m);
      ++n;
    }
    waiting.clear();
    return n;
  }
  int wait_fd() const override { return -1; }
  std::vector<std::pair<Capture*, rte_mbuf*>> waiting;
  unsigned polls = 0;
  int last_pmd = -1;
};

class StagedPort final : public Port {
 public:
  StagedPort(std::string name, std::shared_ptr<MovingStage> stage)
      : Port(std::move(name)), stage_(std::move(stage)), queue_(this->name() + "q") {}
  std::string_view kind() const override { return "staged"; }
  uint16_t rx_burst(uint16_t q, rte_mbuf** pkts, uint16_t n) override {
    return queue_.rx_burst(q, pkts, n);
  }
  uint16_t tx_burst(uint16_t, rte_mbuf** pkts, uint16_t n) override {
    rte_pktmbuf_free_bulk(pkts, n);
    return n;
  }
  std::shared_ptr<RxStage> rx_stage() const override { return stage_; }
  Capture& queue() { return queue_; }

 private:
  std::shared_ptr<MovingStage> stage_;
  Capture queue_;
};

TEST(Datapath, RxStageIsPolledBeforeItsPortsQueuesByTheirOnePmd) {
  auto stage = std::make_shared<MovingStage>();
  auto a = std::make_shared<Capture>("a");
  auto s1 = std::make_shared<StagedPort>("s1", stage);
  auto s2 = std::make_shared<StagedPort>("s2", stage);
  Datapath dp({.pmd_threads = 2, .pool = pool(), .pmd_sleep = false});
  DatapathConfig dc;
  BridgeConfig br{.name = "br"};
  br.ports.push_back({.name = "a", .port = a});
  br.ports.push_back({.name = "s1", .port = s1});
  br.ports.push_back({.name = "s2", .port = s2});
  dc.bridges = {br};
  ASSERT_EQ(dp.apply(dc), std::nullopt);
  // Round robin would put br/s1 on PMD 1 and br/s2 on PMD 0: the stage keeps them together.
  const auto st = dp.pmd_stats();
  ASSERT_EQ(st.size(), 2u);
  EXPECT_EQ(st[0].rx_queues, (std::vector<std::string>{"br/a:0"}));
  EXPECT_EQ(st[1].rx_queues, (std::vector<std::string>{"stage s", "br/s1:0", "br/s2:0"}));
  stage->waiting = {{&s1->queue(), frame()}, {&s2->queue(), frame()}};
  EXPECT_EQ(dp.poll_once(0), 0u);
  EXPECT_EQ(stage->polls, 0u);
  EXPECT_EQ(dp.poll_once(1), 2u);  // moved by the stage, then received in the same iteration
  EXPECT_EQ(stage->polls, 1u);
  EXPECT_EQ(stage->last_pmd, 1);
  EXPECT_EQ(a->sent.size(), 2u);
}

}  // namespace
}  // namespace lvs::sw
