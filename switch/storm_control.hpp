#pragma once
// Storm control: per-port rate limits, in frames per second, on what the switch would flood —
// broadcast, multicast and unknown unicast — each kind with its own token bucket.
//
// Token buckets counted in clock cycles (the TSC in the daemon, an injected clock in tests): a
// frame costs `hz / rate` cycles of credit (fixed point, 8 fractional bits, so that high rates
// keep their precision), elapsed cycles add credit up to the bucket's depth. The refill happens
// once per burst; per frame there is one compare and one subtract, no division, no atomic.
//
// Ownership: an rx queue is polled by exactly one PMD in a configuration snapshot, but the
// queues of one port may be spread over several PMDs. Sharing one bucket between them would
// need an atomic read-modify-write per frame on a contended line; instead each (port, PMD) pair
// gets its own buckets, built with each snapshot and touched only by that PMD, and the port's
// rate is split evenly between the PMDs that poll it. The limit is thus never exceeded; when a
// port's flood traffic all lands on one of several PMDs it is admitted at rate / PMDs. Buckets
// start full with every new snapshot (a configuration change grants one extra depth).
#include <cstdint>
#include <optional>

#include "switch/port.hpp"

namespace lvs::sw {

// The frames storm control sees: the ones the pipeline is about to flood.
enum class FloodKind : uint8_t { kBroadcast, kMulticast, kUnknownUnicast, kCount };

inline constexpr DropReason drop_reason_of(FloodKind k) {
  return k == FloodKind::kBroadcast   ? DropReason::kStormBroadcast
         : k == FloodKind::kMulticast ? DropReason::kStormMulticast
                                      : DropReason::kStormUnknownUnicast;
}

// A port's limits; an unset kind is unlimited, 0 drops every frame of that kind.
struct StormLimits {
  std::optional<uint64_t> broadcast_pps, multicast_pps, unknown_unicast_pps;
  bool any() const { return broadcast_pps || multicast_pps || unknown_unicast_pps; }
  const std::optional<uint64_t>& of(FloodKind k) const {
    return k == FloodKind::kBroadcast   ? broadcast_pps
           : k == FloodKind::kMulticast ? multicast_pps
                                        : unknown_unicast_pps;
  }
  bool operator==(const StormLimits&) const = default;
};

inline constexpr uint64_t kMaxStormPps = 100'000'000;
// Bucket depth: 10 ms of the rate, and at least one full burst, so that a short legitimate
// burst (a host answering many ARP requests at once) is not cut.
inline constexpr uint64_t kStormMinDepth = 32;
inline constexpr uint64_t storm_depth(uint64_t pps) {
  return pps / 100 > kStormMinDepth ? pps / 100 : kStormMinDepth;
}

class alignas(64) StormBuckets {
 public:
  // `limits` for one port, `share` PMDs polling it (each gets rate / share), a clock running at
  // `hz` cycles per second that reads `now` at construction.
  StormBuckets(const StormLimits& limits, unsigned share, uint64_t hz, uint64_t now);

  // Once per burst, before admit().
  void refill(uint64_t now) {
    const uint64_t elapsed = now - last_;  // the clock never goes back; wrap-safe
    last_ = now;
    for (Bucket& b : buckets_) {
      // Clamped before scaling: a long idle period fills the bucket and never overflows.
      const uint64_t add = elapsed >= b.depth >> kShift ? b.depth : elapsed << kShift;
      b.credit = b.depth - b.credit <= add ? b.depth : b.credit + add;
    }
  }
  // One frame of kind `k`: true when within its rate (credit taken), false to drop it.
  // An unlimited kind has cost 0 and always passes; rate 0 has a cost no credit reaches.
  bool admit(FloodKind k) {
    Bucket& b = buckets_[static_cast<unsigned>(k)];
    if (b.credit < b.cost) return false;
    b.credit -= b.cost;
    return true;
  }

 private:
  static constexpr unsigned kShift = 8;  // fractional bits of credit
  struct Bucket {
    uint64_t cost = 0;    // credit one frame takes (cycles << kShift)
    uint64_t depth = 0;   // most credit the bucket holds
    uint64_t credit = 0;  // credit now
  };
  Bucket buckets_[static_cast<unsigned>(FloodKind::kCount)];
  uint64_t last_;
};

}  // namespace lvs::sw
