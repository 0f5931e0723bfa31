// The pipeline's batched FDB lookups (switch/pipeline.cpp, Fdb::find_bulk): one burst whose
// frames depend on what earlier frames of the same burst taught the table (a new station looked
// up a few frames later, a station move, a static entry, runs of one flow between other flows,
// a full table that evicts what a later frame looks for) forwards exactly as the same frames
// sent one at a time: every port sends the same frames in the same order, byte for byte, and
// the counters and the table end up the same.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <functional>
#include <tuple>

#include "tests/support/bridge_harness.hpp"

namespace lvs::test {
namespace {

const std::vector<std::string> kPorts = {"a", "b", "c"};

std::vector<BridgeHarness::PortDef> ports() {
  std::vector<BridgeHarness::PortDef> out;
  for (const auto& p : kPorts) out.push_back({.name = p, .vlan = sw::VlanPolicy::access(10)});
  return out;
}

std::string mac(unsigned n) {
  char s[18];
  std::snprintf(s, sizeof s, "02:00:00:00:00:%02x", n & 0xff);
  return s;
}

// Frame `index` from `src` to `dst` (the index in the fill byte names it in a mismatch).
std::vector<uint8_t> frame(unsigned index, const std::string& src, const std::string& dst) {
  return frame_bytes({.dst = dst, .src = src, .fill = static_cast<uint8_t>(index)});
}

using Table = std::vector<std::tuple<std::array<uint8_t, 6>, uint16_t, sw::PortIndex, bool>>;
Table table(BridgeHarness& h) {
  Table t;
  for (const auto& e : h.fdb().dump(h.datapath().now_ms()))
    t.emplace_back(e.mac.bytes, e.vlan, e.port, e.is_static);
  std::sort(t.begin(), t.end());
  return t;
}

// Sends `burst` on port a of two identical bridges, to one frame by frame and to the other as
// one burst, after the same set-up; checks that both did the same.
void expect_burst_equals_single(const std::vector<std::vector<uint8_t>>& burst, sw::FdbSettings fdb,
                                const std::function<void(BridgeHarness&)>& setup) {
  BridgeHarness one(ports(), fdb), many(ports(), fdb);
  setup(one);
  setup(many);
  for (const auto& p : kPorts) one.received_bytes(p), many.received_bytes(p);
  for (const auto& f : burst) one.send_raw("a", f);
  many.send_burst("a", burst);
  for (const auto& p : kPorts) {
    const auto x = one.received_bytes(p), y = many.received_bytes(p);
    for (size_t i = 0; i < std::min(x.size(), y.size()); ++i)
      ASSERT_EQ(x[i], y[i]) << p << " output " << i << ": frame " << int{x[i].back()}
                            << " one at a time, frame " << int{y[i].back()} << " in the burst";
    ASSERT_EQ(x.size(), y.size()) << p << " sent a different number of frames";
    const auto cx = one.counters(p), cy = many.counters(p);
    EXPECT_EQ(cx.rx_packets, cy.rx_packets) << p;
    EXPECT_EQ(cx.tx_packets, cy.tx_packets) << p;
    for (size_t r = 0; r < cx.drops.size(); ++r)
      EXPECT_EQ(cx.drops[r], cy.drops[r])
          << p << " drops " << sw::to_string(static_cast<sw::DropReason>(r));
  }
  EXPECT_EQ(table(one), table(many));
  const auto so = one.fdb().stats(), sm = many.fdb().stats();
  EXPECT_EQ(std::tie(so.entries, so.learned, so.moved, so.evicted),
            std::tie(sm.entries, sm.learned, sm.moved, sm.evicted));
  EXPECT_EQ(one.leaked(), 0);
  EXPECT_EQ(many.leaked(), 0);
}

// Stations 1 (b), 2 (c) learnt before the burst; 9 static on c.
void learn_b_and_c(BridgeHarness& h) {
  h.send_raw("b", frame(200, mac(1), "ff:ff:ff:ff:ff:ff"));
  h.send_raw("c", frame(201, mac(2), "ff:ff:ff:ff:ff:ff"));
  ASSERT_TRUE(
      h.fdb().add_static(*sw::MacAddr::parse(mac(9)), 10, h.index("c"), h.datapath().now_ms()));
}

TEST(BurstLookup, FramesOfABurstSeeWhatTheFramesBeforeThemTaught) {
  const std::string bcast = "ff:ff:ff:ff:ff:ff";
  std::vector<std::vector<uint8_t>> burst = {
      frame(0, mac(5), mac(1)),   // 5 is new (learnt on a), 1 known on b
      frame(1, mac(5), mac(1)),   // a run of the same flow
      frame(2, mac(5), mac(1)),   //
      frame(3, mac(6), mac(5)),   // 5 learnt two frames ago, on a: hairpin, not a flood
      frame(4, mac(1), mac(2)),   // 1 moves from b to a
      frame(5, mac(5), mac(1)),   // 1 is on a now: hairpin, not b
      frame(6, mac(7), mac(9)),   // static on c
      frame(7, mac(9), mac(2)),   // a static source does not move
      frame(8, mac(7), mac(9)),   //
      frame(9, mac(8), bcast),    // 8 new, flooded
      frame(10, mac(6), mac(8)),  // 8 learnt on a: hairpin
      frame(11, mac(6), mac(3)),  // 3 unknown: flood
      frame(12, mac(5), mac(2)),  // runs of two flows in turn
      frame(13, mac(5), mac(2)),  //
      frame(14, mac(6), mac(2)),  //
      frame(15, mac(6), mac(2)),  //
      frame(16, mac(5), mac(2)),  //
  };
  expect_burst_equals_single(burst, {}, learn_b_and_c);
}

TEST(BurstLookup, AFullTableEvictsWhatLaterFramesOfTheBurstLookUp) {
  // 4 entries: 1 (b), 2 (c) and 9 (static, not evicted) before the burst. Each new source on a
  // then evicts from the port with the most entries (a itself, once it holds two), and later
  // frames look up both the evicted and the surviving stations.
  std::vector<std::vector<uint8_t>> burst;
  for (unsigned i = 0; i < 30; ++i) {
    const unsigned src = 20 + i % 7, dst = i % 3 == 0 ? 1 : i % 3 == 1 ? 2 : 20 + (i * 5) % 7;
    burst.push_back(frame(i, mac(src), mac(dst)));
  }
  expect_burst_equals_single(burst, {.max_entries = 4, .aging_s = 300}, learn_b_and_c);
}

}  // namespace
}  // namespace lvs::test
