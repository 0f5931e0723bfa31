// Incremental aging (switch/fdb_aging.cpp): passes through the per-port lists in bounded steps.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <thread>

#include "switch/fdb.hpp"

namespace lvs::sw {
namespace {

constexpr uint64_t kT0 = 10'000'000;
constexpr uint64_t kAging = 300'000;
uint64_t key(uint64_t mac, uint16_t vlan = 1) { return Fdb::make_key(mac, vlan); }
uint64_t mac(uint64_t n) { return 0x020000000000ULL + n; }

bool present(const Fdb& fdb, uint64_t m, uint64_t now) { return fdb.peek(key(m), now).has_value(); }

// Runs one pass in steps of `budget`; returns the number of steps it took.
unsigned pass(Fdb& fdb, uint64_t now, uint32_t budget, size_t* removed = nullptr) {
  unsigned steps = 0;
  bool done = false;
  size_t n = 0;
  while (!done) {
    const size_t r = fdb.expire_step(now, budget, &done);
    EXPECT_LE(r, budget) << "a step removed more than its budget";
    n += r;
    if (++steps > 1'000'000) break;
  }
  if (removed) *removed = n;
  return steps;
}

TEST(FdbAging, EntriesAgeWithinOneAgingPeriodInBoundedSteps) {
  Fdb fdb({.max_entries = 16384, .aging_s = 300});
  for (uint64_t m = 0; m < 10'000; ++m) fdb.learn(key(mac(m)), m % 8, kT0 + m / 100);
  for (uint64_t m = 0; m < 10'000; m += 10) fdb.learn(key(mac(m)), m % 8, kT0 + 5'000);
  size_t removed = 0;
  EXPECT_EQ(pass(fdb, kT0 + kAging, 64, &removed), 1u);  // nothing due: one short step
  EXPECT_EQ(removed, 0u);
  // Every entry has been quiet for more than the aging time except the refreshed tenth.
  const unsigned steps = pass(fdb, kT0 + 100 + kAging, 64, &removed);
  EXPECT_EQ(removed, 9'000u);
  // Bounded work per step, and no more steps than the entries it had to look at need.
  // Entries, ports and their young heads; each step's first unit is the port it resumes.
  EXPECT_LE(steps, (10'000 + 8 + 8) / 63 + 2);
  EXPECT_GE(steps, 9'000u / 64);
  for (uint64_t m = 0; m < 10'000; ++m) ASSERT_EQ(present(fdb, mac(m), kT0), m % 10 == 0) << m;
  EXPECT_EQ(fdb.stats().aged, 9'000u);
  EXPECT_EQ(fdb.stats().entries, 1'000u);
  EXPECT_EQ(fdb.expire(kT0 + 5'000 + kAging), 0u);  // the refreshed ones: exactly on time
  EXPECT_EQ(fdb.expire(kT0 + 5'001 + kAging), 1'000u);
  EXPECT_EQ(fdb.stats().entries, 0u);
  for (PortIndex p = 0; p < 8; ++p) EXPECT_EQ(fdb.port_entries(p), 0u);
}

TEST(FdbAging, StaticEntriesNeverAge) {
  Fdb fdb({.max_entries = 64, .aging_s = 15});
  for (uint64_t m = 0; m < 8; ++m)
    ASSERT_TRUE(fdb.add_static(MacAddr::from_u64(mac(m)), 1, 2, kT0));
  fdb.learn(key(mac(100)), 2, kT0);
  for (uint64_t t = kT0; t <= kT0 + 7'200'000; t += 600'000) pass(fdb, t, 2);
  EXPECT_FALSE(present(fdb, mac(100), kT0));
  for (uint64_t m = 0; m < 8; ++m) {
    EXPECT_EQ(fdb.lookup(key(mac(m)), kT0 + 7'200'000), 2);
    const auto e = fdb.peek(key(mac(m)), kT0 + 7'200'000);
    ASSERT_TRUE(e.has_value());
    EXPECT_TRUE(e->is_static);
    EXPECT_EQ(e->age_ms, 7'200'000u);  // fdb/show still reports how old it is
  }
  EXPECT_EQ(fdb.stats().entries, 8u);
}

TEST(FdbAging, AMacRefreshedBetweenStepsSurvives) {
  Fdb fdb({.max_entries = 4096, .aging_s = 300});
  for (uint64_t m = 0; m < 1'000; ++m) fdb.learn(key(mac(m)), 0, kT0);
  const uint64_t now = kT0 + kAging + 1;
  bool done = false;
  EXPECT_EQ(fdb.expire_step(now, 33, &done), 32u);  // the port, then the 32 oldest
  EXPECT_FALSE(done);
  // A PMD sees 900 and 5 (already gone: learnt again) while the pass is under way.
  fdb.learn(key(mac(900)), 0, now);
  fdb.learn(key(mac(5)), 0, now);
  size_t rest = 0;
  pass(fdb, now, 33, &rest);
  EXPECT_EQ(rest, 1'000u - 32 - 1);
  EXPECT_TRUE(present(fdb, mac(900), now));
  EXPECT_TRUE(present(fdb, mac(5), now));
  EXPECT_EQ(fdb.lookup(key(mac(900)), now), 0);
  EXPECT_EQ(fdb.stats().entries, 2u);
  EXPECT_EQ(fdb.port_entries(0), 2u);
}

TEST(FdbAging, MovedEntriesAgeOnTheirNewPort) {
  Fdb fdb({.max_entries = 64, .aging_s = 300});
  fdb.learn(key(mac(1)), 1, kT0);
  fdb.learn(key(mac(2)), 1, kT0);
  fdb.learn(key(mac(1)), 2, kT0 + 100'000);  // station move
  EXPECT_EQ(fdb.expire(kT0 + kAging + 1), 1u);
  EXPECT_FALSE(present(fdb, mac(2), kT0));
  EXPECT_EQ(fdb.lookup(key(mac(1)), kT0 + kAging + 1), 2);
  EXPECT_EQ(fdb.expire(kT0 + 100'000 + kAging + 1), 1u);
  EXPECT_EQ(fdb.stats().entries, 0u);
}

// A station that went quiet after being seen is put back behind stations learnt after it:
// out of list order. It must still go when its own aging time is up, not when theirs is.
TEST(FdbAging, AQuietStationBehindYoungerOnesAgesOnTime) {
  Fdb fdb({.max_entries = 4096, .aging_s = 300});
  fdb.learn(key(mac(0)), 1, kT0);
  fdb.learn(key(mac(0)), 1, kT0 + 100'000);  // seen again at +100 s, then quiet
  for (uint64_t m = 1; m <= 500; ++m) fdb.learn(key(mac(m)), 1, kT0 + 200'000);
  EXPECT_EQ(fdb.expire(kT0 + kAging + 1), 0u);  // mac 0 came due: put back, stamped +100 s
  EXPECT_TRUE(present(fdb, mac(0), kT0));
  EXPECT_EQ(fdb.expire(kT0 + 100'000 + kAging), 0u);
  EXPECT_EQ(fdb.expire(kT0 + 100'000 + kAging + 1), 1u);
  EXPECT_FALSE(present(fdb, mac(0), kT0));
  EXPECT_EQ(fdb.port_entries(1), 500u);
  // Another quiet one, behind those and found by a full walk stepped 16 entries at a time.
  fdb.learn(key(mac(1)), 1, kT0 + 250'000);
  fdb.learn(key(mac(900)), 1, kT0 + 260'000);
  size_t removed = 0;
  pass(fdb, kT0 + 200'000 + kAging + 1, 16, &removed);  // 2..500 expire; 1 comes due, put back
  EXPECT_EQ(removed, 499u);
  EXPECT_EQ(fdb.expire(kT0 + 250'000 + kAging + 1), 1u);
  EXPECT_TRUE(present(fdb, mac(900), kT0));
  EXPECT_EQ(fdb.expire(kT0 + 260'000 + kAging + 1), 1u);
  EXPECT_EQ(fdb.stats().entries, 0u);
}

// Table copies and evictions' second chances queue entries out of order too.
TEST(FdbAging, CopiedTablesAgeEachEntryOnItsOwnTime) {
  Fdb a({.max_entries = 4096, .aging_s = 300});
  for (uint64_t m = 0; m < 2'000; ++m) a.learn(key(mac(m)), m % 3, kT0 + (m * 7919 % 2'000) * 100);
  Fdb b({.max_entries = 8192, .aging_s = 300});
  b.copy_from(a, kT0 + 200'000);
  for (uint64_t t = kT0 + 200'000; t <= kT0 + 200'000 + kAging; t += 1'000) {
    b.expire(t);
    for (const auto& e : b.dump(t)) ASSERT_LE(e.age_ms, kAging + 1'000) << "at " << t;
  }
  EXPECT_EQ(b.stats().entries, 0u);
  EXPECT_EQ(b.stats().aged, 2'000u);
}

// Datapath::expire_all's slice: a mass expiry goes on over several calls, none much longer
// than its budget, and each call does at least one step.
TEST(FdbAging, ABoundedSliceCarriesThePassOnAtTheNextCall) {
  Fdb fdb({.max_entries = 200'000, .aging_s = 300});
  for (uint64_t m = 0; m < 50'000; ++m) fdb.learn(key(mac(m)), m % 4, kT0);
  size_t total = 0;
  unsigned calls = 0;
  while (fdb.stats().entries > 0 && calls < 100'000) {
    const size_t n = fdb.age(kT0 + kAging + 1 + calls, std::chrono::microseconds(200));
    EXPECT_GT(n, 0u) << "call " << calls;
    total += n;
    ++calls;
  }
  EXPECT_EQ(total, 50'000u);
  EXPECT_GT(calls, 1u);  // 50 K entries take more than 200 us
  EXPECT_EQ(fdb.age(kT0 + kAging + 1 + calls, std::chrono::nanoseconds(0)), 0u);
}

// A MAC learnt while the pass is under way: after its first step (some aged) and before its
// last (not all). One hold for the whole pass makes `aged` jump from none to all, so nothing
// can be learnt in between (checked: 0 then). No timing: the pass only has to outlast the
// learner's first success.
TEST(FdbAging, LearningProceedsWhileAgingRunsOnAnotherThread) {
  constexpr uint64_t kOld = 300'000;
  Fdb fdb({.max_entries = 400'000, .aging_s = 300});
  for (uint64_t m = 0; m < kOld; ++m) fdb.learn(key(mac(m)), m % 16, kT0);
  const uint64_t now = kT0 + kAging + 1;
  std::atomic<bool> aging_done{false};
  std::thread aging([&] {
    EXPECT_EQ(fdb.expire(now), kOld);
    aging_done = true;
  });
  while (fdb.stats().aged == 0 && !aging_done) std::this_thread::yield();  // under way
  uint64_t m = 1'000'000, learnt = 0, learnt_while_aging = 0;
  while (!aging_done && learnt < 50'000) {
    fdb.learn(key(mac(m)), 20, now);
    if (fdb.lookup(key(mac(m)), now) == 20) {
      ++m, ++learnt;
      if (fdb.stats().aged < kOld) ++learnt_while_aging;
    }
  }
  aging.join();
  EXPECT_GT(learnt_while_aging, 0u) << "learnt " << learnt << ", all after the pass";
  EXPECT_EQ(fdb.stats().aged, kOld);
  EXPECT_EQ(fdb.stats().entries, learnt);
  EXPECT_EQ(fdb.port_entries(20), learnt);
}

}  // namespace
}  // namespace lvs::sw
