#pragma once
// Per-port byte-rate limits: ingress policing (Open vSwitch's Interface ingress_policing_rate /
// ingress_policing_burst) on what a port receives, and egress limiting (Port
// other_config:egress-rate-kbps / egress-burst-kb) on what the switch sends out of it.
//
// Both are policers — token buckets that drop what is over the rate, counted as
// `ingress_policed` / `egress_shaped` — not queues: the switch keeps no frame back for later.
// TCP through a policer needs a deep bucket: a burst of 0 means max(8000 kbit, 80% of a second
// of the rate) — OVS's default of 8000 kbit up to 10 Mbit/s, and above it the 80% that OVS's
// documentation recommends for TCP (at 1 Gbit/s, 8000 kbit gave TCP 16% of the rate here).
//
// Bytes counted: the whole frame as the port hands it over or is handed it (rte_pktmbuf_pkt_len:
// Ethernet header and VLAN tags included, no FCS or preamble), as the kernel's tc police counts
// skb->len. A TSO/GSO frame (up to 64 KiB from AF_PACKET with virtio-net headers) costs its full
// length, and the bucket is at least kMinDepthBytes deep so that such a frame can pass at all.
//
// Credit is kept in bytes with kShift fractional bits; elapsed cycles (the TSC) turn into credit
// with one multiplication per burst (the factor is computed once, per snapshot); per frame one
// shift, one compare, one subtract. Ownership and the split between PMDs as for storm control
// (storm_control.hpp): one bucket per (port, direction, PMD), touched only by that PMD, each with
// rate / share. Buckets start full with every new snapshot.
#include <rte_mbuf.h>

#include <cstdint>

#include "switch/port.hpp"

namespace lvs::sw {

// kbit/s and kbit (1 kbit = 1000 bits, as OVS's columns); rate 0: no limit.
struct RateLimit {
  uint64_t rate_kbps = 0;
  uint64_t burst_kbit = 0;  // 0: default_burst_kbit(rate_kbps)
  bool any() const { return rate_kbps != 0; }
  bool operator==(const RateLimit&) const = default;
};

inline constexpr uint64_t kDefaultBurstKbit = 8000;  // OVS's default when 0
inline constexpr uint64_t default_burst_kbit(uint64_t rate_kbps) {
  return rate_kbps / 10 * 8 > kDefaultBurstKbit ? rate_kbps / 10 * 8 : kDefaultBurstKbit;
}
inline constexpr uint64_t kMaxRateKbps = 4'294'967'295;        // OVS's column bound
inline constexpr uint64_t kMinDepthBytes = 65'536 + 64;        // a GSO frame and its headers
inline constexpr uint64_t kMaxDepthBytes = uint64_t{1} << 30;  // 1 GiB: more is clamped

class alignas(64) ByteBucket {
 public:
  // `limit` (rate_kbps > 0), `share` PMDs splitting it, a clock of `hz` cycles per second
  // reading `now` at construction.
  ByteBucket(const RateLimit& limit, unsigned share, uint64_t hz, uint64_t now);

  void refill(uint64_t now) {
    uint64_t elapsed = now - last_;  // the clock never goes back; wrap-safe
    last_ = now;
    if (elapsed > fill_cycles_) elapsed = fill_cycles_;  // clamped: never overflows
    const uint64_t add = elapsed * per_cycle_;
    credit_ = depth_ - credit_ <= add ? depth_ : credit_ + add;
  }
  // One frame of `bytes`: true (credit taken) when within the rate.
  bool admit(uint32_t bytes) {
    const uint64_t cost = uint64_t{bytes} << kShift;
    if (credit_ < cost) return false;
    credit_ -= cost;
    return true;
  }
  // Refills, then keeps the frames of pkts[0..n) within the rate in order at the front and
  // frees the others, counting them on `stats` as `reason`. Returns how many are kept.
  uint16_t police(rte_mbuf** pkts, uint16_t n, uint64_t now, PortStats& stats, DropReason reason) {
    refill(now);
    uint16_t kept = 0;
    for (uint16_t i = 0; i < n; ++i) {
      if (__builtin_expect(admit(rte_pktmbuf_pkt_len(pkts[i])), 1))
        pkts[kept++] = pkts[i];
      else
        rte_pktmbuf_free(pkts[i]);
    }
    if (kept != n) stats.add_drop(reason, n - kept);
    return kept;
  }

  uint64_t depth_bytes() const { return depth_ >> kShift; }
  uint64_t credit_bytes() const { return credit_ >> kShift; }
  // What it was made from (for `vsctl trace`; not read per frame).
  const RateLimit& limit() const { return limit_; }
  unsigned share() const { return share_; }

 private:
  static constexpr unsigned kShift = 32;  // fractional bits of credit (depth <= 2^30 bytes)
  uint64_t per_cycle_;                    // credit one cycle adds (bytes << kShift)
  uint64_t depth_;                        // most credit the bucket holds
  uint64_t fill_cycles_;                  // cycles from empty to full
  uint64_t credit_;
  uint64_t last_;
  RateLimit limit_;  // cold: the rest of the cache line
  unsigned share_;
};
static_assert(sizeof(ByteBucket) == 64, "one cache line per bucket");

}  // namespace lvs::sw
