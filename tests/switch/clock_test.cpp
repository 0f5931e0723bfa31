// The datapath's clock: the TSC turned into milliseconds (monotonic, close to steady_clock), and
// the manual clock tests advance by hand through the same non-virtual reads.
#include "switch/clock.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <thread>

namespace lvs::test {
namespace {

int64_t steady_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

TEST(Clock, TscMillisecondsNeverGoBackAndAdvanceWithTheTsc) {
  sw::TscClock c;
  uint64_t last = c.now_ms(), went_back = 0;
  const uint64_t first = last;
  const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(30);
  while (std::chrono::steady_clock::now() < until) {
    const uint64_t now = c.now_ms();
    went_back += now < last;
    last = now;
  }
  EXPECT_EQ(went_back, 0u);
  EXPECT_GE(last, first);
  // Elapsed milliseconds as steady_clock's, bracketed by its readings (preemption only widens).
  const int64_t s0 = steady_ms();
  const auto a = static_cast<int64_t>(c.now_ms());
  const int64_t s1 = steady_ms();
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  const int64_t s2 = steady_ms();
  const auto b = static_cast<int64_t>(c.now_ms());
  const int64_t s3 = steady_ms();
  EXPECT_GE(b - a, s2 - s1 - 2);
  EXPECT_LE(b - a, s3 - s0 + 2);
  EXPECT_EQ(c.cycles_hz(), rte_get_tsc_hz());
  const uint64_t t = rte_rdtsc();
  EXPECT_EQ(c.cycles_at(t), t);
  EXPECT_NEAR(static_cast<double>(c.ms_at(t + c.cycles_hz()) - c.ms_at(t)), 1000, 1);  // 1 s
}

TEST(Clock, TscMillisecondsStayCloseToSteadyClock) {
  sw::TscClock c;
  for (int i = 0; i < 10; ++i) {
    const int64_t before = steady_ms();
    const auto ours = static_cast<int64_t>(c.now_ms());
    const int64_t after = steady_ms();
    // The anchor was one steady_clock reading: within a millisecond either side (truncation).
    EXPECT_GE(ours, before - 2);
    EXPECT_LE(ours, after + 2);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

TEST(Clock, ManualClockMovesOnlyWhenAdvancedWhateverTheTsc) {
  sw::ManualClock m(5'000);
  const sw::Clock& c = m;  // what the datapath holds
  EXPECT_EQ(c.now_ms(), 5'000u);
  EXPECT_EQ(c.ms_at(rte_rdtsc() + 1'000'000'000), 5'000u);
  EXPECT_EQ(c.cycles_hz(), 1'000'000'000u);
  EXPECT_EQ(c.now_cycles(), 5'000'000'000u);
  m.advance_ms(250);
  m.advance_us(1'500);
  EXPECT_EQ(c.now_ms(), 5'251u);
  EXPECT_EQ(c.cycles_at(0), 5'251'500'000u);
}

}  // namespace
}  // namespace lvs::test
