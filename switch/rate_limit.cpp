#include "switch/rate_limit.hpp"

#include <algorithm>

namespace lvs::sw {

ByteBucket::ByteBucket(const RateLimit& limit, unsigned share, uint64_t hz, uint64_t now)
    : last_(now), limit_(limit), share_(share == 0 ? 1 : share) {
  share = share_;
  if (hz == 0) hz = 1;
  // This PMD's share of the rate in bytes per second, then per cycle in fixed point (128 bits:
  // rate << kShift overflows 64 at the top of the range).
  const unsigned __int128 bytes_per_s =
      static_cast<unsigned __int128>(std::min(limit.rate_kbps, kMaxRateKbps)) * 1000 / 8;
  unsigned __int128 per_cycle =
      (bytes_per_s << kShift) / (static_cast<unsigned __int128>(hz) * share);
  if (per_cycle == 0) per_cycle = 1;
  per_cycle_ = static_cast<uint64_t>(per_cycle);
  const uint64_t burst_kbit =
      limit.burst_kbit ? limit.burst_kbit : default_burst_kbit(limit.rate_kbps);
  const unsigned __int128 burst_bytes = static_cast<unsigned __int128>(burst_kbit) * 1000 / 8;
  const uint64_t bytes = static_cast<uint64_t>(
      std::clamp<unsigned __int128>(burst_bytes / share, kMinDepthBytes, kMaxDepthBytes));
  depth_ = bytes << kShift;
  fill_cycles_ = depth_ / per_cycle_ + 1;
  credit_ = depth_;
}

}  // namespace lvs::sw
