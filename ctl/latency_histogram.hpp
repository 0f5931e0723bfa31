#pragma once
// A fixed-bucket latency histogram (Prometheus' cumulative `le` buckets), for control-plane
// events such as database commits. Single-threaded: the control thread records and reads it.
#include <array>
#include <chrono>
#include <cstdint>

namespace lvs::ctl {

class LatencyHistogram {
 public:
  // Upper bounds in seconds: a database write is an fsync (sub-ms on tmpfs, ms on disks, more
  // on a loaded machine).
  static constexpr std::array<double, 12> kBounds = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                     0.05,   0.1,   0.25,   0.5,   1.0,  2.5};

  void record(std::chrono::steady_clock::duration d) {
    const double s = std::chrono::duration<double>(d).count();
    for (size_t i = 0; i < kBounds.size(); ++i)
      if (s <= kBounds[i]) ++buckets_[i];
    ++count_;
    sum_ += s;
  }
  // Cumulative: bucket(i) counts the events of at most kBounds[i] seconds.
  uint64_t bucket(size_t i) const { return buckets_[i]; }
  uint64_t count() const { return count_; }
  double sum_seconds() const { return sum_; }

 private:
  std::array<uint64_t, kBounds.size()> buckets_{};
  uint64_t count_ = 0;
  double sum_ = 0;
};

}  // namespace lvs::ctl
