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

constexpr uint64_t kRounds = 4'000'000;
std::atomic<int> waiting{0};

// Adds kRounds bursts as PMD `pmd` (no slot: as a control thread), starting when `together`
// writers are ready (two writers of one plain slot would then lose updates).
void write_as(PortStats& s, int pmd, int together = 1) {
  std::optional<PortStats::ThreadSlot> slot;
  if (pmd >= 0) slot.emplace(static_cast<unsigned>(pmd));
  waiting.fetch_add(1);
  while (waiting.load() < together) std::this_thread::yield();
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
  waiting = 0;
  std::thread pmd0(write_as, std::ref(s), 0, 3), pmd1(write_as, std::ref(s), 1, 3);
  std::thread control(write_as, std::ref(s), -1, 3);
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
  waiting = 0;
  std::thread a(write_as, std::ref(s), PortStats::kPmdSlots, 2),
      b(write_as, std::ref(s), PortStats::kPmdSlots + 7, 2);
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
  waiting = 0;
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
