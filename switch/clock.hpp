#pragma once
// Time for the datapath: milliseconds for learning and aging, cycles for rate limits (storm
// control). PMDs read it once per iteration, so it is not virtual: the daemon's clock is the TSC
// (TscClock: rte_rdtsc() turned into milliseconds with one multiplication, anchored to
// steady_clock when made), and tests advance a ManualClock by hand through the same inline
// reads (one well-predicted branch tells them apart).
//
// The TSC's frequency is DPDK's calibrated rte_get_tsc_hz() (the one storm control and rate
// limits already use); the milliseconds therefore drift from steady_clock by that calibration's
// error (parts per million), which aging and learning, counted in seconds, do not notice.
#include <rte_cycles.h>

#include <atomic>
#include <chrono>
#include <cstdint>

namespace lvs::sw {

class Clock {
 public:
  Clock(const Clock&) = delete;
  Clock& operator=(const Clock&) = delete;

  // The time at TSC reading `tsc`: a PMD reads the TSC once per iteration and derives both.
  uint64_t ms_at(uint64_t tsc) const {
    if (__builtin_expect(manual_ns_ != nullptr, 0))
      return manual_ns_->load(std::memory_order_relaxed) / 1'000'000;
    return base_ms_ + mul_hi(tsc - base_tsc_, ms_per_cycle_);
  }
  uint64_t cycles_at(uint64_t tsc) const {
    if (__builtin_expect(manual_ns_ != nullptr, 0))
      return manual_ns_->load(std::memory_order_relaxed);
    return tsc;
  }
  uint64_t now_ms() const { return ms_at(rte_rdtsc()); }
  // A fast cycle counter and its frequency (the TSC in the daemon).
  uint64_t now_cycles() const { return cycles_at(rte_rdtsc()); }
  uint64_t cycles_hz() const { return hz_; }

 protected:
  Clock();  // the TSC
  explicit Clock(const std::atomic<uint64_t>* manual_ns) : manual_ns_(manual_ns), hz_(1'000'000'000) {}
  ~Clock() = default;

 private:
  __extension__ typedef unsigned __int128 Wide;
  // (a * b) >> 64: b is milliseconds per cycle in 0.64 fixed point.
  static uint64_t mul_hi(uint64_t a, uint64_t b) {
    return static_cast<uint64_t>((static_cast<Wide>(a) * b) >> 64);
  }
  static uint64_t steady_ms() {
    return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                     std::chrono::steady_clock::now().time_since_epoch())
                                     .count());
  }
  const std::atomic<uint64_t>* manual_ns_ = nullptr;
  uint64_t hz_ = 0;
  uint64_t base_tsc_ = 0, base_ms_ = 0, ms_per_cycle_ = 0;
};

// The TSC. Before DPDK has calibrated it (no EAL yet), measures the rate against steady_clock.
class TscClock final : public Clock {
 public:
  TscClock() = default;
};

inline Clock::Clock() {
  hz_ = rte_get_tsc_hz();
  if (hz_ < 1'000'000) {  // EAL not initialised: calibrate over 20 ms
    const auto t0 = std::chrono::steady_clock::now();
    const uint64_t c0 = rte_rdtsc();
    while (std::chrono::steady_clock::now() - t0 < std::chrono::milliseconds(20)) {
    }
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    hz_ = static_cast<uint64_t>(static_cast<double>(rte_rdtsc() - c0) / s);
  }
  // floor(2^64 * 1000 / hz): below 1 ms of error over 2^64 cycles.
  ms_per_cycle_ = static_cast<uint64_t>((static_cast<Wide>(1000) << 64) / hz_);
  base_ms_ = steady_ms();
  base_tsc_ = rte_rdtsc();
}

// Advanced by hand; its cycles are nanoseconds.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(uint64_t start_ms = 1'000'000) : Clock(&ns_), ns_(start_ms * 1'000'000) {}
  void advance_ms(uint64_t ms) { advance_ns(ms * 1'000'000); }
  void advance_us(uint64_t us) { advance_ns(us * 1'000); }
  void advance_ns(uint64_t ns) { ns_.fetch_add(ns, std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> ns_;
};

}  // namespace lvs::sw
