// Spanning tree port states in the pipeline (switch/stp_hooks.hpp): BPDUs go to the control
// plane's queue, never flooded; discarding ports neither learn nor forward nor receive floods;
// learning ports learn but do not forward; a bridge without RSTP is unchanged.
#include <gtest/gtest.h>

#include "switch/rstp/bpdu.hpp"
#include "tests/support/bridge_harness.hpp"

namespace lvs::test {
namespace {

using sw::DropReason;
using sw::VlanPolicy;

constexpr const char* kA = "02:00:00:00:00:0a";
constexpr const char* kB = "02:00:00:00:00:0b";

std::vector<BridgeHarness::PortDef> three() {
  return {{.name = "p1", .vlan = VlanPolicy::access(0)},
          {.name = "p2", .vlan = VlanPolicy::access(0)},
          {.name = "p3", .vlan = VlanPolicy::trunk({10})}};  // untagged BPDUs still arrive
}

struct StpBridge {
  BridgeHarness br{three()};
  std::shared_ptr<sw::StpHooks> stp;
  StpBridge() {
    br.config().bridges[0].rstp = true;
    br.apply();
    stp = br.datapath().stp("br0");
  }
  void set(const char* port, uint8_t state) { stp->set_state(br.index(port), state); }
};

std::vector<uint8_t> bpdu_bytes() {
  sw::rstp::Bpdu b;
  return sw::rstp::encode_frame(b, {2, 0, 0, 0, 0, 0x0a});
}

bool learnt(BridgeHarness& br, const char* mac) {
  return br.fdb().lookup(sw::Fdb::make_key(sw::MacAddr::parse(mac)->to_u64(), 0),
                         br.datapath().now_ms()) != sw::kNoPort;
}

TEST(StpPipeline, NewPortsOfAnRstpBridgeStartDiscarding) {
  StpBridge s;
  ASSERT_TRUE(s.stp);
  s.br.send("p1", {.src = kA});
  auto out = s.br.received_all();
  EXPECT_EQ(out["p2"].size(), 0u);
  EXPECT_EQ(s.br.drops("p1", DropReason::kStpDiscarding), 1u);
  EXPECT_FALSE(learnt(s.br, kA));
  EXPECT_EQ(s.br.leaked(), 0);
}

TEST(StpPipeline, BpdusGoToTheQueueWhateverTheStateOrVlan) {
  StpBridge s;
  s.set("p1", sw::kStpForwarding);
  s.set("p2", sw::kStpForwarding);
  s.br.send_raw("p1", bpdu_bytes());
  s.br.send_raw("p3", bpdu_bytes());  // discarding, and a trunk that refuses untagged frames
  auto out = s.br.received_all();
  EXPECT_EQ(out["p2"].size(), 0u);
  rte_mbuf* m[4];
  ASSERT_EQ(s.stp->take(m, 4), 2u);
  EXPECT_EQ(m[0]->port, s.br.index("p1"));
  EXPECT_EQ(m[1]->port, s.br.index("p3"));
  for (int i = 0; i < 2; ++i) rte_pktmbuf_free(m[i]);
  EXPECT_EQ(s.br.counters("p3").total_drops(), 0u);
  EXPECT_EQ(s.br.leaked(), 0);
}

TEST(StpPipeline, ForwardingFloodsSkipNonForwardingPorts) {
  StpBridge s;
  s.set("p1", sw::kStpForwarding);
  s.set("p2", sw::kStpLearning);
  s.br.send("p1", {.src = kA});
  auto out = s.br.received_all();
  EXPECT_EQ(out["p2"].size(), 0u);
  s.set("p2", sw::kStpForwarding);
  s.br.send("p1", {.src = kA});
  EXPECT_EQ(s.br.received("p2").size(), 1u);
}

TEST(StpPipeline, LearningPortLearnsButDoesNotForward) {
  StpBridge s;
  s.set("p1", sw::kStpForwarding);
  s.set("p2", sw::kStpLearning);
  s.br.send("p2", {.dst = kA, .src = kB});
  EXPECT_EQ(s.br.received("p1").size(), 0u);
  EXPECT_TRUE(learnt(s.br, kB));
  EXPECT_EQ(s.br.drops("p2", DropReason::kStpLearning), 1u);
  // Unicast towards a learning port is dropped, not sent.
  s.br.send("p1", {.dst = kB, .src = kA});
  EXPECT_EQ(s.br.received("p2").size(), 0u);
  EXPECT_EQ(s.br.drops("p1", DropReason::kStpDiscarding), 1u);
  EXPECT_EQ(s.br.leaked(), 0);
}

TEST(StpPipeline, WithoutRstpBpdusAreDroppedAsBefore) {
  BridgeHarness br(three());
  EXPECT_FALSE(br.datapath().stp("br0"));
  br.send_raw("p1", bpdu_bytes());
  EXPECT_EQ(br.received("p2").size(), 0u);
  EXPECT_EQ(br.drops("p1", DropReason::kReservedMulticast), 1u);
  br.send("p1", {.src = kA});
  EXPECT_EQ(br.received("p2").size(), 1u);
}

}  // namespace
}  // namespace lvs::test
