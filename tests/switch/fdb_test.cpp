#include "switch/fdb.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <random>
#include <thread>

namespace lvs::sw {
namespace {

constexpr uint64_t kT0 = 1'000'000;
uint64_t key(uint64_t mac, uint16_t vlan = 1) { return Fdb::make_key(mac, vlan); }

TEST(Fdb, LearnsAndLooksUp) {
  Fdb fdb;
  EXPECT_EQ(fdb.lookup(key(0x020000000001), kT0), kNoPort);
  fdb.learn(key(0x020000000001), 3, kT0);
  EXPECT_EQ(fdb.lookup(key(0x020000000001), kT0), 3);
  EXPECT_EQ(fdb.stats().learned, 1u);
  EXPECT_EQ(fdb.stats().entries, 1u);
}

TEST(Fdb, SameMacOnTwoVlansIsTwoEntries) {
  Fdb fdb;
  fdb.learn(key(0x020000000001, 10), 1, kT0);
  fdb.learn(key(0x020000000001, 20), 2, kT0);
  EXPECT_EQ(fdb.lookup(key(0x020000000001, 10), kT0), 1);
  EXPECT_EQ(fdb.lookup(key(0x020000000001, 20), kT0), 2);
  EXPECT_EQ(fdb.stats().entries, 2u);
}

TEST(Fdb, StationMoveRelearnsAtOnce) {
  Fdb fdb;
  fdb.learn(key(0x020000000001), 1, kT0);
  fdb.learn(key(0x020000000001), 2, kT0 + 1);
  EXPECT_EQ(fdb.lookup(key(0x020000000001), kT0 + 1), 2);
  EXPECT_EQ(fdb.stats().moved, 1u);
  EXPECT_EQ(fdb.port_entries(1), 0u);
  EXPECT_EQ(fdb.port_entries(2), 1u);
}

TEST(Fdb, EntriesAgeOutAfterTheAgingTime) {
  Fdb fdb({.max_entries = 16, .aging_s = 15});
  fdb.learn(key(1), 1, kT0);
  fdb.learn(key(2), 1, kT0);
  fdb.learn(key(2), 1, kT0 + 10'000);  // refreshed
  EXPECT_EQ(fdb.expire(kT0 + 15'000), 0u);
  EXPECT_EQ(fdb.lookup(key(1), kT0 + 15'001), kNoPort);  // stale entries are not used
  EXPECT_EQ(fdb.expire(kT0 + 15'001), 1u);
  EXPECT_EQ(fdb.lookup(key(2), kT0 + 15'001), 1);
  EXPECT_EQ(fdb.stats().aged, 1u);
  EXPECT_EQ(fdb.stats().entries, 1u);
}

TEST(Fdb, StaticEntriesNeverAgeNorMoveByLearning) {
  Fdb fdb({.max_entries = 16, .aging_s = 15});
  ASSERT_TRUE(fdb.add_static(MacAddr::from_u64(5), 1, 7, kT0));
  fdb.learn(key(5), 2, kT0 + 1);
  EXPECT_EQ(fdb.lookup(key(5), kT0 + 1), 7);
  EXPECT_EQ(fdb.expire(kT0 + 3'600'000), 0u);
  EXPECT_EQ(fdb.lookup(key(5), kT0 + 3'600'000), 7);
  auto d = fdb.dump(kT0);
  ASSERT_EQ(d.size(), 1u);
  EXPECT_TRUE(d[0].is_static);
  EXPECT_TRUE(fdb.remove(MacAddr::from_u64(5), 1));
  EXPECT_EQ(fdb.lookup(key(5), kT0), kNoPort);
}

TEST(Fdb, FullTableEvictsFromThePortWithMostEntries) {
  Fdb fdb({.max_entries = 8, .aging_s = 300});
  fdb.learn(key(100), 1, kT0);  // port 1: one MAC
  fdb.learn(key(101), 1, kT0);
  for (uint64_t m = 1; m <= 6; ++m) fdb.learn(key(m), 2, kT0 + m);  // port 2: six MACs
  ASSERT_EQ(fdb.stats().entries, 8u);
  fdb.learn(key(200), 3, kT0 + 100);
  EXPECT_EQ(fdb.stats().entries, 8u);
  EXPECT_EQ(fdb.stats().evicted, 1u);
  EXPECT_EQ(fdb.port_entries(1), 2u);
  EXPECT_EQ(fdb.port_entries(2), 5u);
  EXPECT_EQ(fdb.lookup(key(1), kT0 + 100), kNoPort);  // port 2's least recently used
  EXPECT_EQ(fdb.lookup(key(200), kT0 + 100), 3);
}

TEST(Fdb, EvictionSparesRecentlySeenEntries) {
  Fdb fdb({.max_entries = 4, .aging_s = 300});
  for (uint64_t m = 1; m <= 4; ++m) fdb.learn(key(m), 1, kT0);
  fdb.learn(key(1), 1, kT0 + 5'000);  // MAC 1 is active again
  fdb.learn(key(9), 2, kT0 + 5'001);
  EXPECT_EQ(fdb.lookup(key(1), kT0 + 5'001), 1);
  EXPECT_EQ(fdb.lookup(key(2), kT0 + 5'001), kNoPort);
}

TEST(Fdb, MacFloodEvictsTheAttackersEntriesOnly) {
  Fdb fdb({.max_entries = 1024, .aging_s = 300});
  for (uint64_t m = 1; m <= 100; ++m) fdb.learn(key(0x0200000000 + m), 1, kT0);  // victims
  std::mt19937_64 rng(7);
  uint64_t t = kT0;
  for (int i = 0; i < 100'000; ++i) {
    fdb.learn(key((rng() & 0xfeffffffffffULL) | 0x020000000000ULL), 9, ++t);
    if (i % 1000 == 0)  // the victims keep talking
      for (uint64_t m = 1; m <= 100; ++m) fdb.learn(key(0x0200000000 + m), 1, t);
  }
  EXPECT_LE(fdb.stats().entries, 1024u);
  EXPECT_EQ(fdb.port_entries(1), 100u);
  for (uint64_t m = 1; m <= 100; ++m) EXPECT_EQ(fdb.lookup(key(0x0200000000 + m), t), 1);
}

TEST(Fdb, FlushByPortAndVlan) {
  Fdb fdb;
  fdb.learn(key(1, 10), 1, kT0);
  fdb.learn(key(2, 10), 2, kT0);
  fdb.learn(key(3, 20), 2, kT0);
  fdb.add_static(MacAddr::from_u64(4), 10, 2, kT0);
  EXPECT_EQ(fdb.flush_vlan(10), 2u);  // static entries stay
  EXPECT_EQ(fdb.lookup(key(4, 10), kT0), 2);
  EXPECT_EQ(fdb.flush_port(2), 2u);  // flushing a port removes its static entries too
  EXPECT_EQ(fdb.stats().entries, 0u);
  fdb.learn(key(1, 10), 1, kT0);
  EXPECT_EQ(fdb.flush(), 1u);
}

TEST(Fdb, HoldsOneMillionEntriesInAtMost64BytesEach) {
  Fdb fdb({.max_entries = 1'000'000, .aging_s = 300});
  for (uint64_t m = 0; m < 1'000'000; ++m)
    fdb.learn(key(0x020000000000ULL + m * 7919), m % 64, kT0);
  const auto s = fdb.stats();
  EXPECT_EQ(s.entries, 1'000'000u);
  EXPECT_LE(s.evicted, 10u);  // the two-choice buckets almost never overflow at this load
  EXPECT_LE(fdb.memory_bytes() / 1'000'000.0, 64.0);
  for (uint64_t m = 0; m < 1'000'000; m += 997)
    EXPECT_EQ(fdb.lookup(key(0x020000000000ULL + m * 7919), kT0), m % 64);
}

TEST(Fdb, ReadersNeverSeeAWrongPortWhileWritersChurn) {
  Fdb fdb({.max_entries = 256, .aging_s = 300});
  // MAC m always lives on port m % 8; writers keep evicting and relearning.
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> wrong{0}, hits{0};
  std::thread reader([&] {
    while (!stop) {
      for (uint64_t m = 1; m < 2048; ++m) {
        const PortIndex p = fdb.lookup(key(m), kT0);
        if (p != kNoPort) {
          ++hits;
          if (p != m % 8) ++wrong;
        }
      }
    }
  });
  for (int round = 0; round < 200; ++round)
    for (uint64_t m = 1; m < 2048; ++m) fdb.learn(key(m), m % 8, kT0);
  stop = true;
  reader.join();
  EXPECT_EQ(wrong.load(), 0u);
  EXPECT_GT(hits.load(), 0u);
}

}  // namespace
}  // namespace lvs::sw
