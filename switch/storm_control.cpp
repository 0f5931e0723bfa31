#include "switch/storm_control.hpp"

#include <limits>

namespace lvs::sw {

StormBuckets::StormBuckets(const StormLimits& limits, unsigned share, uint64_t hz, uint64_t now)
    : last_(now) {
  if (share == 0) share = 1;
  for (unsigned k = 0; k < static_cast<unsigned>(FloodKind::kCount); ++k) {
    const auto& pps = limits.of(static_cast<FloodKind>(k));
    Bucket& b = buckets_[k];
    if (!pps) continue;  // unlimited: cost 0
    if (*pps == 0) {
      b.cost = std::numeric_limits<uint64_t>::max();  // never admitted
      continue;
    }
    // This PMD's share of the rate: one frame every hz * share / pps cycles.
    b.cost = ((hz << kShift) * share) / *pps;
    if (b.cost == 0) b.cost = 1;
    const uint64_t per_pmd = *pps / share ? *pps / share : 1;
    b.depth = storm_depth(per_pmd) * b.cost;
    b.credit = b.depth;
  }
}

}  // namespace lvs::sw
