#pragma once
// Time for the datapath: milliseconds for learning and aging, cycles for rate limits (storm
// control). Tests inject a manual clock; PMDs read it per burst.
#include <rte_cycles.h>

#include <atomic>
#include <chrono>
#include <cstdint>

namespace lvs::sw {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual uint64_t now_ms() const = 0;
  // A fast cycle counter and its frequency (the TSC in the daemon).
  virtual uint64_t now_cycles() const = 0;
  virtual uint64_t cycles_hz() const = 0;
};

class SteadyClock final : public Clock {
 public:
  uint64_t now_ms() const override {
    return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                     std::chrono::steady_clock::now().time_since_epoch())
                                     .count());
  }
  uint64_t now_cycles() const override { return rte_rdtsc(); }
  uint64_t cycles_hz() const override { return rte_get_tsc_hz(); }
};

// Advanced by hand; its cycles are nanoseconds.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(uint64_t start_ms = 1'000'000) : ns_(start_ms * 1'000'000) {}
  uint64_t now_ms() const override { return ns_.load(std::memory_order_relaxed) / 1'000'000; }
  uint64_t now_cycles() const override { return ns_.load(std::memory_order_relaxed); }
  uint64_t cycles_hz() const override { return 1'000'000'000; }
  void advance_ms(uint64_t ms) { advance_ns(ms * 1'000'000); }
  void advance_us(uint64_t us) { advance_ns(us * 1'000); }
  void advance_ns(uint64_t ns) { ns_.fetch_add(ns, std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> ns_;
};

}  // namespace lvs::sw
