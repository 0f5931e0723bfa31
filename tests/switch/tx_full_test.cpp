// A port whose transmit queue is full (a container that stopped reading): its frames are dropped
// and counted as tx_full, the other ports keep forwarding, and once the queue drains the port
// carries traffic again with nothing leaked.
#include <gtest/gtest.h>

#include "tests/support/bridge_harness.hpp"

namespace lvs::test {
namespace {

constexpr const char* kA = "02:00:00:00:00:0a";
constexpr const char* kB = "02:00:00:00:00:0b";
constexpr const char* kC = "02:00:00:00:00:0c";

TEST(TxFull, AStuckPortDropsAndCountsItsOwnFramesOthersKeepForwardingThenItRecovers) {
  BridgeHarness br({{"p1", {}}, {"p2", {}}, {"p3", {}}});
  br.send("p2", {.dst = kA, .src = kB});
  br.send("p3", {.dst = kA, .src = kC});
  br.received_all();
  // p2's reader is stuck: nothing collects its ring (1,023 frames fit in a 1,024-slot ring).
  constexpr unsigned kSent = 1500;
  size_t p3_got = 0;
  for (unsigned i = 0; i < kSent; ++i) {
    br.send("p1", {.dst = kB, .src = kA});
    br.send("p1", {.dst = kC, .src = kA});
    if (i % 100 == 99) p3_got += br.received("p3").size();  // p3's reader keeps up
  }
  p3_got += br.received("p3").size();
  const uint64_t dropped = br.drops("p2", sw::DropReason::kTxFull);
  EXPECT_GT(dropped, 0u);
  EXPECT_EQ(br.port("p2").pending_tx() + dropped, kSent);
  EXPECT_EQ(p3_got, kSent);  // the neighbour lost nothing
  EXPECT_EQ(br.drops("p3", sw::DropReason::kTxFull), 0u);
  // The reader comes back: the queue drains and new frames pass again.
  EXPECT_EQ(br.received("p2").size(), kSent - dropped);
  br.send("p1", {.dst = kB, .src = kA});
  EXPECT_EQ(br.received("p2").size(), 1u);
  EXPECT_EQ(br.drops("p2", sw::DropReason::kTxFull), dropped);
  EXPECT_EQ(br.leaked(), 0);
}

}  // namespace
}  // namespace lvs::test
