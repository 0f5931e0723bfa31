#pragma once
// The next hops' MAC addresses for tunnels with options:underlay=port: a small table of the IPv4
// addresses the tunnels route through (tracked by the control plane), filled from ARP replies and
// requests seen on the underlay port. Policy, as a host's neighbour table would have it:
//   - an address is used for kReachableMs after it was last confirmed; from then on a request is
//     sent now and then while the old MAC is still used, until kExpireMs, when it becomes
//     unresolved;
//   - while unresolved (or being refreshed), a request goes out at most every kRetryMs for the
//     first kFastRetries tries, then every kSlowRetryMs;
//   - frames for an unresolved next hop are dropped and counted (no_neighbour), not queued: the
//     first request goes out when the tunnel opens, so only frames sent before the first reply
//     are lost, and TCP / ping retry on their own.
// Not thread-safe: the owner (PortVtep) holds a lock per burst. Times are milliseconds.
#include <array>
#include <cstdint>

#include "switch/types.hpp"

namespace lvs::tunnels {

class NeighbourCache {
 public:
  static constexpr unsigned kSize = 16;
  static constexpr uint64_t kReachableMs = 30'000;
  static constexpr uint64_t kExpireMs = 60'000;
  static constexpr uint64_t kRetryMs = 1'000;
  static constexpr uint64_t kSlowRetryMs = 5'000;
  static constexpr unsigned kFastRetries = 3;

  struct Lookup {
    bool resolved = false;  // mac is usable
    sw::MacAddr mac;
    bool send_request = false;  // the caller should send an ARP request for the address now
  };

  // Starts resolving `ip` (reference counted); false when the table is full.
  bool track(uint32_t ip) {
    if (Entry* e = find(ip)) {
      ++e->refs;
      return true;
    }
    for (Entry& e : entries_)
      if (e.refs == 0) {
        e = Entry{};
        e.ip = ip;
        e.refs = 1;
        return true;
      }
    return false;
  }
  void untrack(uint32_t ip) {
    if (Entry* e = find(ip); e != nullptr && e->refs > 0) --e->refs;
  }
  bool tracked(uint32_t ip) const { return const_cast<NeighbourCache*>(this)->find(ip); }

  Lookup lookup(uint32_t ip, uint64_t now_ms) {
    Lookup r;
    Entry* e = find(ip);
    if (e == nullptr) return r;
    const uint64_t age = e->confirmed ? now_ms - e->confirmed_ms : ~uint64_t{0};
    r.resolved = e->confirmed && age < kExpireMs;
    r.mac = e->mac;
    if (!r.resolved || age >= kReachableMs) {
      const uint64_t wait = e->requests < kFastRetries ? kRetryMs : kSlowRetryMs;
      if (e->requests == 0 || now_ms - e->last_request_ms >= wait) {
        r.send_request = true;
        e->last_request_ms = now_ms;
        ++e->requests;
      }
    }
    return r;
  }

  // Records ip -> mac for a tracked address (others are ignored: the table holds next hops only).
  // Returns whether the address is tracked.
  bool learn(uint32_t ip, const sw::MacAddr& mac, uint64_t now_ms) {
    Entry* e = find(ip);
    if (e == nullptr) return false;
    e->mac = mac;
    e->confirmed = true;
    e->confirmed_ms = now_ms;
    e->requests = 0;
    return true;
  }

 private:
  struct Entry {
    uint32_t ip = 0;
    uint32_t refs = 0;
    sw::MacAddr mac;
    bool confirmed = false;
    uint64_t confirmed_ms = 0;
    uint64_t last_request_ms = 0;
    unsigned requests = 0;  // since the last confirmation
  };
  Entry* find(uint32_t ip) {
    for (Entry& e : entries_)
      if (e.refs > 0 && e.ip == ip) return &e;
    return nullptr;
  }
  std::array<Entry, kSize> entries_{};
};

}  // namespace lvs::tunnels
