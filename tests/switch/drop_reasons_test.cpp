// Every dropped frame lands in exactly one reason (switch/drop_reason.hpp), and the reserved VID
// 4095, the all-zero and multicast source MACs are never admitted or learnt.
#include <gtest/gtest.h>

#include <set>

#include "tests/support/bridge_harness.hpp"

namespace lvs::test {
namespace {

using sw::DropReason;
using sw::VlanPolicy;
using Bytes = std::vector<uint8_t>;

constexpr const char* kA = "02:00:00:00:00:0a";
constexpr const char* kB = "02:00:00:00:00:0b";

uint64_t total(BridgeHarness& br, const std::string& port) {
  return br.counters(port).total_drops();
}

TEST(DropReasons, NamesComeFromOneListAndAreUnique) {
  std::set<std::string_view> names;
  for (size_t i = 0; i < sw::kDropReasonCount; ++i) {
    const auto n = sw::to_string(static_cast<DropReason>(i));
    EXPECT_NE(n, "?");
    EXPECT_TRUE(names.insert(n).second) << n;
  }
  EXPECT_EQ(sw::to_string(DropReason::kTooBig), "too_big");
  EXPECT_EQ(sw::to_string(DropReason::kMalformed), "malformed");
}

TEST(DropReasons, Truncated8021QFramesOf14To17BytesAreMalformed) {
  BridgeHarness br({{"p1", {}}, {"p2", {}}});
  for (size_t len = 14; len <= 17; ++len) {
    Bytes f(len, 0);
    for (size_t i = 0; i < 6; ++i) f[i] = 0xff;
    f[6] = 0x02;
    f[11] = static_cast<uint8_t>(len);
    f[12] = 0x81;  // TPID 0x8100, then 0-3 of the tag's 4 bytes
    br.send_raw("p1", f);
    EXPECT_EQ(br.drops("p1", DropReason::kMalformed), len - 13) << len;
    EXPECT_EQ(total(br, "p1"), len - 13) << len;
  }
  // 18 bytes hold the whole tag: not malformed (a non-IP frame).
  Bytes ok = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0, 0, 0, 0, 0x12, 0x81, 0x00, 0, 5, 0x88, 0xb5};
  br.send_raw("p1", ok);
  EXPECT_EQ(br.received("p2").size(), 1u);
  EXPECT_EQ(total(br, "p1"), 4u);
  EXPECT_EQ(br.fdb().stats().entries, 1u);  // only the good frame's source
  EXPECT_EQ(br.leaked(), 0);
}

TEST(DropReasons, RuntsUnder14BytesAreMalformed) {
  BridgeHarness br({{"p1", {}}, {"p2", {}}});
  br.send_raw("p1", Bytes(13, 0xff));
  br.send_raw("p1", Bytes{});
  EXPECT_EQ(br.drops("p1", DropReason::kMalformed), 2u);
  EXPECT_EQ(total(br, "p1"), 2u);
}

TEST(DropReasons, FrameLargerThanTheOutputMtuIsTooBigNotTxFull) {
  BridgeHarness br({{"p1", {}}, {"p2", {}}, {"p3", {}}});
  br.port("p2").set_mtu(1000);
  br.send("p1", {.src = kA, .payload = 1386});  // 1400 bytes: fits p3, not p2
  EXPECT_EQ(br.received("p2").size(), 0u);
  EXPECT_EQ(br.received("p3").size(), 1u);
  EXPECT_EQ(br.drops("p2", DropReason::kTooBig), 1u);
  EXPECT_EQ(br.drops("p2", DropReason::kTxFull), 0u);
  EXPECT_EQ(total(br, "p2"), 1u);
  br.send("p1", {.src = kA, .payload = 986});  // 1000 + 14: fits
  EXPECT_EQ(br.received("p2").size(), 1u);
  br.received_all();
  EXPECT_EQ(br.leaked(), 0);
}

TEST(DropReasons, Vid4095IsNeverAdmittedOnAnyMode) {
  BridgeHarness br({{"all", VlanPolicy::trunk({})},
                    {"nt", VlanPolicy::native(sw::VlanMode::kNativeTagged, 10, {})},
                    {"nu", VlanPolicy::native(sw::VlanMode::kNativeUntagged, 10, {})},
                    {"acc", VlanPolicy::access(10)},
                    {"t20", VlanPolicy::trunk({20})}});
  for (const char* p : {"all", "nt", "nu", "acc"}) {
    br.send(p, {.src = kA, .vid = 4095});
    EXPECT_EQ(br.drops(p, DropReason::kVlanNotAdmitted), 1u) << p;
    EXPECT_EQ(total(br, p), 1u) << p;
  }
  for (auto& [name, frames] : br.received_all()) EXPECT_EQ(frames.size(), 0u) << name;
  EXPECT_EQ(br.fdb().stats().entries, 0u);
  // The VLAN exists nowhere, so no port floods it either.
  br.send("all", {.src = kB, .vid = 20});
  auto out = br.received_all();
  EXPECT_EQ(out["t20"].size(), 1u);
}

TEST(DropReasons, ZeroAndMulticastSourcesAreNeverLearnt) {
  BridgeHarness br({{"p1", {}}, {"p2", {}}});
  br.send("p1", {.dst = kB, .src = "00:00:00:00:00:00"});
  br.send("p1", {.dst = kB, .src = "01:00:5e:00:00:01"});
  br.send("p1", {.dst = kB, .src = "ff:ff:ff:ff:ff:ff"});
  EXPECT_EQ(br.fdb().stats().entries, 0u);
  // Such frames are still forwarded (flooded: nothing learnt to send them back to).
  EXPECT_EQ(br.received("p2").size(), 3u);
  br.send("p2", {.dst = "00:00:00:00:00:00", .src = kB});
  EXPECT_EQ(br.received("p1").size(), 1u);  // flooded, not sent to a learnt zero MAC
}

TEST(DropReasons, MulticastFloodsPastTheIterationBudgetAreFloodOverload) {
  // Budget of 5 copies per iteration; 3 ports get each flood from p0 (3 copies).
  BridgeHarness br({{"p0", {}}, {"p1", {}}, {"p2", {}}, {"p3", {}}}, {}, false, 1, 5);
  std::vector<rte_mbuf*> burst;
  for (int i = 0; i < 4; ++i)
    burst.push_back(make_frame(test_pool(), {.dst = "33:33:00:00:00:16", .src = kA}));
  burst.push_back(make_frame(test_pool(), {.src = kA}));  // broadcast: never counted
  br.port("p0").inject(burst.data(), static_cast<unsigned>(burst.size()));
  br.datapath().poll_once(0);
  auto out = br.received_all();
  EXPECT_EQ(out["p1"].size(), 2u);  // the first multicast and the broadcast
  EXPECT_EQ(br.drops("p0", DropReason::kFloodOverload), 3u);
  EXPECT_EQ(total(br, "p0"), 3u);
  // The next iteration has a fresh budget.
  br.send("p0", {.dst = "33:33:00:00:00:16", .src = kA});
  EXPECT_EQ(br.received("p1").size(), 1u);
  br.received_all();
  EXPECT_EQ(br.leaked(), 0);
}

}  // namespace
}  // namespace lvs::test
