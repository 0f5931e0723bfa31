// PortStats: each PMD thread adds to a slot of its own with plain stores, other threads to a
// shared one; read() sums them, so what port stats, metrics and vsctl show is unchanged.
#include <gtest/gtest.h>

#include <atomic>
#include <optional>
#include <thread>

#include "switch/port.hpp"

namespace lvs::test {
namespace {

using sw::DropReason;
using sw::PortStats;

constexpr uint64_t kRounds = 300'000;

// Adds kRounds bursts as PMD `pmd` (no slot: as a control thread).
void write_as(PortStats& s, int pmd) {
  std::optional<PortStats::ThreadSlot> slot;
  if (pmd >= 0) slot.emplace(static_cast<unsigned>(pmd));
  for (uint64_t i = 0; i < kRounds; ++i) {
    s.add_rx(32, 32 * 64);
    s.add_tx(31, 31 * 64);
    s.add_drop(DropReason::kTxFull, 1);
  }
}

void expect_totals(const PortStats& s, uint64_t writers) {
  const sw::PortCounters c = s.read();
  EXPECT_EQ(c.rx_packets, writers * kRounds * 32);
  EXPECT_EQ(c.rx_bytes, writers * kRounds * 32 * 64);
  EXPECT_EQ(c.tx_packets, writers * kRounds * 31);
  EXPECT_EQ(c.tx_bytes, writers * kRounds * 31 * 64);
  EXPECT_EQ(c.drops[static_cast<size_t>(DropReason::kTxFull)], writers * kRounds);
  EXPECT_EQ(c.total_drops(), writers * kRounds);
}

TEST(PortStats, TwoPmdWritersAndAControlThreadAreSummedExactlyWhileAReaderWatches) {
  PortStats s;
  std::atomic<bool> done{false};
  uint64_t went_back = 0;
  std::thread reader([&] {
    uint64_t last = 0;
    while (!done.load()) {
      const uint64_t now = s.read().rx_packets;
      went_back += now < last;
      last = now;
    }
  });
  std::thread pmd0(write_as, std::ref(s), 0), pmd1(write_as, std::ref(s), 1);
  std::thread control(write_as, std::ref(s), -1);
  pmd0.join();
  pmd1.join();
  control.join();
  done = true;
  reader.join();
  EXPECT_EQ(went_back, 0u);
  expect_totals(s, 3);
}

TEST(PortStats, PmdsPastTheLastSlotShareTheAtomicOne) {
  PortStats s;
  std::thread a(write_as, std::ref(s), PortStats::kPmdSlots),
      b(write_as, std::ref(s), PortStats::kPmdSlots + 7);
  a.join();
  b.join();
  expect_totals(s, 2);
}

TEST(PortStats, ASlotIsTheThreadsOnlyWhileItsScopeLastsAndResetClearsEverySlot) {
  PortStats s;
  {
    PortStats::ThreadSlot as_pmd(3);
    s.add_rx(1, 100);
  }
  std::thread other([&] { write_as(s, 3); });  // slot 3 is free again: no second writer
  other.join();
  s.add_rx(1, 100);  // shared slot
  EXPECT_EQ(s.read().rx_packets, kRounds * 32 + 2);
  s.reset();
  const sw::PortCounters c = s.read();
  EXPECT_EQ(c.rx_packets + c.rx_bytes + c.tx_packets + c.tx_bytes + c.total_drops(), 0u);
}

}  // namespace
}  // namespace lvs::test
