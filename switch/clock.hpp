#pragma once
// Milliseconds for learning and aging. Tests inject a manual clock; PMDs read it per burst.
#include <atomic>
#include <chrono>
#include <cstdint>

namespace lvs::sw {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual uint64_t now_ms() const = 0;
};

class SteadyClock final : public Clock {
 public:
  uint64_t now_ms() const override {
    return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                     std::chrono::steady_clock::now().time_since_epoch())
                                     .count());
  }
};

class ManualClock final : public Clock {
 public:
  explicit ManualClock(uint64_t start_ms = 1'000'000) : now_(start_ms) {}
  uint64_t now_ms() const override { return now_.load(std::memory_order_relaxed); }
  void advance_ms(uint64_t ms) { now_.fetch_add(ms, std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> now_;
};

}  // namespace lvs::sw
