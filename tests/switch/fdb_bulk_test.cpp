// Fdb's bulk path (find_bulk / lookup_found / learn_found / lookup_bulk) against the single one:
// the same answers for every key of a burst (hits, misses, static, moved and aged entries, keys
// in their secondary bucket, a full table that evicts), and the same table when a burst is
// learnt through it frame by frame.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <tuple>
#include <vector>

#include "switch/fdb.hpp"

namespace lvs::sw {
namespace {

constexpr uint64_t kT0 = 1'000'000;
uint64_t key(uint64_t mac, uint16_t vlan = 1) { return Fdb::make_key(mac, vlan); }

std::vector<PortIndex> single(const Fdb& fdb, const std::vector<uint64_t>& keys, uint64_t now) {
  std::vector<PortIndex> out;
  for (uint64_t k : keys) out.push_back(fdb.lookup(k, now));
  return out;
}
std::vector<PortIndex> bulk(const Fdb& fdb, const std::vector<uint64_t>& keys, uint64_t now) {
  std::vector<PortIndex> out(keys.size(), 0xeeee);
  fdb.lookup_bulk(keys.data(), static_cast<unsigned>(keys.size()), now, out.data());
  return out;
}

// `n` keys (MACs counted up from `from`) whose primary bucket is the one of `like`.
std::vector<uint64_t> same_primary(const Fdb& fdb, uint64_t like, unsigned n, uint64_t from) {
  std::vector<uint64_t> out;
  const uint32_t b1 = fdb.probe(like).b1;
  for (uint64_t mac = from; out.size() < n; ++mac)
    if (key(mac) != like && fdb.probe(key(mac)).b1 == b1) out.push_back(key(mac));
  return out;
}

TEST(FdbBulk, MixedBurstGivesTheSameAnswersAsSingleLookups) {
  Fdb fdb({.max_entries = 256, .aging_s = 15});
  std::vector<uint64_t> keys;
  for (uint64_t m = 1; m <= 150; ++m) {  // learnt, 30 of them long ago (aged out by now)
    fdb.learn(key(m), static_cast<PortIndex>(m % 5), m <= 30 ? kT0 - 20'000 : kT0);
    keys.push_back(key(m));
  }
  for (uint64_t m = 200; m < 210; ++m) {  // static, one of them over a learnt MAC
    ASSERT_TRUE(fdb.add_static(MacAddr::from_u64(m), 1, 9, kT0));
    keys.push_back(key(m));
  }
  ASSERT_TRUE(fdb.add_static(MacAddr::from_u64(150), 1, 8, kT0));
  for (uint64_t m = 100; m < 120; ++m) fdb.learn(key(m), 6, kT0);  // moved
  fdb.learn(key(200), 2, kT0);                                     // a static entry stays
  for (uint64_t m = 300; m < 340; ++m) keys.push_back(key(m));     // never seen
  keys.push_back(key(5, 2));                                       // known MAC, other VLAN
  ASSERT_EQ(fdb.stats().moved, 20u);
  std::shuffle(keys.begin(), keys.end(), std::mt19937(7));

  const auto want = single(fdb, keys, kT0);
  EXPECT_EQ(bulk(fdb, keys, kT0), want);  // 201 keys: bursts of 64, 64, 64, 9
  const std::vector<uint64_t> burst(keys.begin(), keys.begin() + 32);
  EXPECT_EQ(bulk(fdb, burst, kT0), single(fdb, burst, kT0));
  EXPECT_EQ(bulk(fdb, {}, kT0), std::vector<PortIndex>{});
  // Spot checks of what single lookups said, so that two equal wrong answers cannot pass.
  auto at = [&](uint64_t k) { return want[std::find(keys.begin(), keys.end(), k) - keys.begin()]; };
  EXPECT_EQ(at(key(7)), kNoPort);  // aged out
  EXPECT_EQ(at(key(42)), 2);
  EXPECT_EQ(at(key(110)), 6);  // moved
  EXPECT_EQ(at(key(150)), 8);  // static over a learnt entry
  EXPECT_EQ(at(key(200)), 9);  // static, not moved by learning
  EXPECT_EQ(at(key(333)), kNoPort);
  EXPECT_EQ(at(key(5, 2)), kNoPort);
}

TEST(FdbBulk, FindsKeysThatOverflowedIntoTheirSecondaryBucket) {
  Fdb fdb({.max_entries = 64, .aging_s = 300});  // 32 buckets of 4
  const uint64_t first = key(1);
  auto keys = same_primary(fdb, first, 6, 2);
  keys.insert(keys.begin(), first);  // 7 keys for one 4-slot primary bucket: 3 go to their second
  for (size_t i = 0; i < keys.size(); ++i) fdb.learn(keys[i], static_cast<PortIndex>(i + 1), kT0);
  ASSERT_EQ(fdb.stats().entries, 7u);
  ASSERT_EQ(fdb.stats().evicted, 0u);
  const auto absent = same_primary(fdb, first, 9, 1000);  // same primary, not in the table
  std::vector<uint64_t> burst = keys;
  burst.insert(burst.end(), absent.begin(), absent.end());
  std::shuffle(burst.begin(), burst.end(), std::mt19937(3));
  const auto got = bulk(fdb, burst, kT0);
  EXPECT_EQ(got, single(fdb, burst, kT0));
  for (size_t i = 0; i < burst.size(); ++i) {
    const auto k = std::find(keys.begin(), keys.end(), burst[i]);
    EXPECT_EQ(got[i], k == keys.end() ? kNoPort : static_cast<PortIndex>(k - keys.begin() + 1))
        << "key " << i;
  }
}

TEST(FdbBulk, FullTableThatEvictsGivesTheSameAnswers) {
  Fdb fdb({.max_entries = 8, .aging_s = 300});
  std::vector<uint64_t> keys;
  for (uint64_t m = 1; m <= 40; ++m) {
    fdb.learn(key(m), static_cast<PortIndex>(1 + m % 3), kT0 + m);
    keys.push_back(key(m));
  }
  ASSERT_EQ(fdb.stats().entries, 8u);
  ASSERT_GT(fdb.stats().evicted, 0u);
  const auto got = bulk(fdb, keys, kT0 + 50);
  EXPECT_EQ(got, single(fdb, keys, kT0 + 50));
  EXPECT_EQ(std::count_if(got.begin(), got.end(), [](PortIndex p) { return p != kNoPort; }), 8);
}

TEST(FdbBulk, SlotReusedAfterItWasFoundIsLookedUpAgain) {
  Fdb fdb({.max_entries = 64, .aging_s = 300});
  const uint64_t a = key(1), b = same_primary(fdb, a, 1, 2)[0];
  fdb.learn(a, 3, kT0);
  Fdb::Probe p[2] = {fdb.probe(a), fdb.probe(b)};
  Fdb::Slot slot[2];
  fdb.find_bulk(p, 2, slot);
  EXPECT_EQ(fdb.lookup_found(p[0], slot[0], kT0), 3);
  // a leaves, b takes its slot (the first free one of the same primary bucket), a comes back
  // elsewhere: the slot found for a now holds b.
  ASSERT_TRUE(fdb.remove(MacAddr::from_u64(1), 1));
  fdb.learn(b, 4, kT0);
  fdb.learn(a, 5, kT0);
  EXPECT_EQ(fdb.lookup_found(p[0], slot[0], kT0), 5);
  // a seen on port 4, the port of b that the slot now holds: a moves (not a refresh of b).
  EXPECT_TRUE(fdb.learn_found(p[0], slot[0], 4, kT0));
  EXPECT_EQ(fdb.lookup(a, kT0), 4);
  EXPECT_EQ(fdb.lookup(b, kT0), 4);
  EXPECT_EQ(fdb.stats().moved, 1u);
  EXPECT_EQ(fdb.stats().entries, 2u);
}

using Table = std::vector<std::tuple<uint64_t, uint16_t, PortIndex, bool, uint64_t>>;
Table table(const Fdb& fdb, uint64_t now) {
  Table t;
  for (const auto& e : fdb.dump(now))
    t.emplace_back(e.mac.to_u64(), e.vlan, e.port, e.is_static, e.age_ms);
  std::sort(t.begin(), t.end());
  return t;
}

// What the pipeline does per burst: learn each frame's source, then look up its destination,
// frame by frame; one table takes single calls, the other the bulk path (probes of the whole
// burst found at once, found again after a learn that took the writer's path).
TEST(FdbBulk, LearningABurstThroughFoundSlotsTeachesAsSingleLearns) {
  const FdbSettings settings{.max_entries = 12, .aging_s = 15};
  Fdb one(settings), many(settings);
  for (Fdb* f : {&one, &many}) ASSERT_TRUE(f->add_static(MacAddr::from_u64(3), 1, 7, kT0));
  std::mt19937 rng(11);
  uint64_t now = kT0;
  uint64_t hits = 0;
  for (int burst = 0; burst < 400; ++burst) {
    now += rng() % 2500;  // refreshes (every 1 s at most) happen, and a pause ages entries out
    if (burst % 60 == 59) {
      now += 20'000;
      ASSERT_EQ(one.expire(now), many.expire(now));
    }
    const auto port = static_cast<PortIndex>(rng() % 4);
    const unsigned n = 1 + rng() % kBurst;
    Fdb::Probe p[2 * kBurst];
    Fdb::Slot slot[2 * kBurst];
    PortIndex want[kBurst], got[kBurst];
    for (unsigned i = 0; i < n; ++i) {
      const uint64_t src = key(1 + rng() % 20), dst = key(1 + rng() % 24);
      many.prefetch_primary(p[2 * i] = many.probe(src));
      many.prefetch_primary(p[2 * i + 1] = many.probe(dst));
      one.learn(src, port, now);
      want[i] = one.lookup(dst, now);
    }
    many.find_bulk(p, 2 * n, slot);
    for (unsigned i = 0; i < n; ++i) {
      const unsigned s = 2 * i;
      if (many.learn_found(p[s], slot[s], port, now))
        many.find_bulk(p + s + 1, 2 * n - s - 1, slot + s + 1);
      got[i] = many.lookup_found(p[s + 1], slot[s + 1], now);
      ASSERT_EQ(got[i], want[i]) << "burst " << burst << " frame " << i;
      hits += want[i] != kNoPort && want[i] != port;
    }
    ASSERT_EQ(table(one, now), table(many, now)) << "burst " << burst;
  }
  const FdbStats a = one.stats(), b = many.stats();
  EXPECT_EQ(std::tie(a.entries, a.learned, a.moved, a.aged, a.evicted),
            std::tie(b.entries, b.learned, b.moved, b.aged, b.evicted));
  EXPECT_GT(a.moved, 100u);  // the script moves, evicts, ages and hits other ports' entries
  EXPECT_GT(a.evicted, 100u);
  EXPECT_GT(a.aged, 0u);
  EXPECT_GT(hits, 500u);
}

}  // namespace
}  // namespace lvs::sw
