#pragma once
// A bridge's neighbour table for ARP / IPv6 ND suppression (neighbour_suppress.hpp):
// (VLAN, IPv4 or IPv6 address) -> MAC, filled by the control plane (e.g. a cluster's remote
// endpoints) and replaced whole.
//
// Publication, as for the configuration snapshot (datapath.hpp): a table is immutable once
// built; Datapath::set_neighbours() builds the next one, swaps the bridge's pointer with one
// atomic store, waits until every PMD has passed a quiescent point (rte_rcu_qsbr) and only then
// frees the old one. PMDs read the pointer (an acquire load) only for frames they would flood;
// an empty table is a null pointer. Lookups are binary searches over sorted arrays: no lock,
// no allocation.
#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "switch/ip_addr.hpp"
#include "switch/types.hpp"

namespace lvs::sw {

// What the suppression answered (kNone: nothing).
enum class NeighbourKind : uint8_t { kNone, kArp, kNd };

struct NeighbourEntry {
  uint16_t vlan = 0;  // the bridge's VLAN (0: untagged on a trunk without a list)
  IpAddr ip;          // IPv4 or IPv6
  MacAddr mac;
  auto operator<=>(const NeighbourEntry&) const = default;
};

class NeighbourTable {
 public:
  // Entries already checked by validate_neighbours(); identical duplicates are kept once.
  explicit NeighbourTable(const std::vector<NeighbourEntry>& entries);

  // The MAC (48-bit integer) of `ip` on `vlan`, or 0 when the table has none.
  uint64_t find_v4(uint16_t vlan, const uint8_t* ip4) const {
    uint32_t ip;
    std::memcpy(&ip, ip4, 4);
    const uint64_t key = uint64_t{vlan} << 32 | __builtin_bswap32(ip);
    auto it = std::lower_bound(v4_.begin(), v4_.end(), key,
                               [](const V4& e, uint64_t k) { return e.key < k; });
    return it != v4_.end() && it->key == key ? it->mac : 0;
  }
  uint64_t find_v6(uint16_t vlan, const uint8_t* ip6) const {
    V6 probe{vlan, {}, 0};
    std::memcpy(probe.ip, ip6, 16);
    auto it = std::lower_bound(v6_.begin(), v6_.end(), probe, v6_less);
    return it != v6_.end() && !v6_less(probe, *it) ? it->mac : 0;
  }
  size_t size() const { return v4_.size() + v6_.size(); }
  std::vector<NeighbourEntry> entries() const;

 private:
  struct V4 {
    uint64_t key;  // vlan << 32 | address (host order)
    uint64_t mac;
  };
  struct V6 {
    uint16_t vlan;
    uint8_t ip[16];
    uint64_t mac;
  };
  static bool v6_less(const V6& a, const V6& b) {
    if (a.vlan != b.vlan) return a.vlan < b.vlan;
    return std::memcmp(a.ip, b.ip, 16) < 0;
  }
  std::vector<V4> v4_;
  std::vector<V6> v6_;
};

// An error naming the first bad entry: VLAN above 4095, an unspecified or multicast address,
// a multicast or all-zero MAC, or one (VLAN, address) given twice with different MACs.
std::optional<std::string> validate_neighbours(const std::vector<NeighbourEntry>& entries);

// The bridge's current table: one atomic pointer, swapped by Datapath::set_neighbours().
class NeighbourTables {
 public:
  NeighbourTables() = default;
  ~NeighbourTables() { delete current_.load(); }
  NeighbourTables(const NeighbourTables&) = delete;
  NeighbourTables& operator=(const NeighbourTables&) = delete;

  // PMDs: null when the table is empty.
  const NeighbourTable* current() const { return current_.load(std::memory_order_acquire); }
  // The control thread: publishes `next` (may be null) and returns the previous table, which the
  // caller frees once every PMD has passed a quiescent point.
  const NeighbourTable* exchange(const NeighbourTable* next) {
    return current_.exchange(next, std::memory_order_acq_rel);
  }

 private:
  std::atomic<const NeighbourTable*> current_{nullptr};
};

}  // namespace lvs::sw
