#pragma once
// MAC learning table keyed by (MAC, VLAN).
//
// Layout: 2-choice bucketised hash, 4 slots per 64-byte bucket (keys then values), about two
// slots per configured entry so both candidate buckets rarely fill; when they do, one resident
// moves to its other bucket (a cuckoo step of depth one). Per-port eviction lists link slots.
//
// Concurrency: lookups are lock-free from any number of PMD threads (key, value, key re-check).
// Refreshing the age of a known MAC is a lock-free CAS on its value. Inserting a new MAC or
// moving one to another port takes the writer mutex with try_lock: if another thread holds it,
// the frame is forwarded anyway and learning waits for the next frame (counted), so learning
// never blocks forwarding.
//
// Eviction (table full): the port holding the most entries gives up its least recently used
// one. Each port keeps its entries in a list ordered by when they were queued; the head is
// taken unless it was seen since it was queued, in which case it goes back to the tail with a
// fresh stamp (second chance, amortised O(1)): a MAC flood evicts the flooder's own entries.
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "switch/types.hpp"

namespace lvs::sw {

struct FdbSettings {
  uint32_t max_entries = 8192;   // OVS's default; >= 1,000,000 supported
  uint32_t aging_s = 300;        // 15..3600 accepted by the control plane
};

struct FdbEntry {
  MacAddr mac;
  uint16_t vlan = 0;
  PortIndex port = kNoPort;
  bool is_static = false;
  uint64_t age_ms = 0;  // since last seen
};

struct FdbStats {
  uint64_t entries = 0;
  uint64_t learned = 0;
  uint64_t moved = 0;
  uint64_t aged = 0;
  uint64_t evicted = 0;
  uint64_t learn_deferred = 0;  // writer busy: learnt on a later frame
  uint64_t max_entries = 0;
};

class Fdb {
 public:
  explicit Fdb(FdbSettings settings = {});
  Fdb(const Fdb&) = delete;
  Fdb& operator=(const Fdb&) = delete;

  const FdbSettings& settings() const { return settings_; }
  // Changing the aging time is immediate; capacity changes need a new table (see copy_from).
  void set_aging(uint32_t aging_s) { aging_ms_.store(uint64_t{aging_s} * 1000, std::memory_order_relaxed); }

  static uint64_t make_key(uint64_t mac, uint16_t vlan) {
    return (uint64_t{1} << 63) | (uint64_t{vlan & 0x0fffu} << 48) | (mac & 0xffffffffffffULL);
  }

  // ---- fast path: any thread, no locks -------------------------------------------------
  void prefetch(uint64_t key) const;
  // Port of (mac, vlan), or kNoPort when unknown or aged out.
  PortIndex lookup(uint64_t key, uint64_t now_ms) const;
  // Learn that `key` was seen on `port` at `now_ms`. Refreshes are lock-free; new MACs and
  // station moves take the writer lock if it is free and are deferred otherwise.
  void learn(uint64_t key, PortIndex port, uint64_t now_ms);

  // ---- control plane -------------------------------------------------------------------
  // Static entries never age, never move by learning and are not evicted.
  bool add_static(MacAddr mac, uint16_t vlan, PortIndex port, uint64_t now_ms);
  bool remove(MacAddr mac, uint16_t vlan);
  size_t flush();
  size_t flush_port(PortIndex port);
  size_t flush_vlan(uint16_t vlan);
  // Removes dynamic entries not seen for the aging time. Returns how many.
  size_t expire(uint64_t now_ms);
  std::vector<FdbEntry> dump(uint64_t now_ms) const;
  // Dynamic (learnt) entries currently held by a port.
  uint32_t port_entries(PortIndex port) const;
  // Copies entries of `other` (e.g. into a resized table). Evicts as usual when too many.
  void copy_from(const Fdb& other, uint64_t now_ms);

  FdbStats stats() const;
  size_t memory_bytes() const;

 private:
  static constexpr unsigned kWays = 4;
  static constexpr uint32_t kNil = 0xffffffffu;
  // value: bits 0..39 last seen (ms), 40..55 port, 56 static
  static constexpr uint64_t kTimeMask = (uint64_t{1} << 40) - 1;
  static constexpr uint64_t kStaticBit = uint64_t{1} << 56;
  // A refresh is written at most this often per entry: keeps PMDs from bouncing cache lines.
  static constexpr uint64_t kRefreshMs = 1000;

  struct alignas(64) Bucket {
    std::atomic<uint64_t> key[kWays];
    std::atomic<uint64_t> val[kWays];
  };
  static uint64_t make_val(PortIndex port, uint64_t now_ms, bool is_static) {
    return (now_ms & kTimeMask) | (uint64_t{port} << 40) | (is_static ? kStaticBit : 0);
  }
  static PortIndex val_port(uint64_t v) { return static_cast<PortIndex>(v >> 40); }
  static uint64_t val_time(uint64_t v) { return v & kTimeMask; }
  static bool val_static(uint64_t v) { return v & kStaticBit; }

  void buckets_for(uint64_t key, uint32_t& b1, uint32_t& b2) const;
  // Slot index holding key, or kNil.
  uint32_t find(uint64_t key) const;
  std::atomic<uint64_t>& key_at(uint32_t slot) { return buckets_[slot / kWays].key[slot % kWays]; }
  std::atomic<uint64_t>& val_at(uint32_t slot) { return buckets_[slot / kWays].val[slot % kWays]; }
  const std::atomic<uint64_t>& key_at(uint32_t slot) const { return buckets_[slot / kWays].key[slot % kWays]; }
  const std::atomic<uint64_t>& val_at(uint32_t slot) const { return buckets_[slot / kWays].val[slot % kWays]; }
  bool expired(uint64_t v, uint64_t now_ms) const {
    const uint64_t now = now_ms & kTimeMask, seen = val_time(v);
    return !val_static(v) && now > seen && now - seen > aging_ms_.load(std::memory_order_relaxed);
  }

  // Writer side (mutex held).
  bool insert_locked(uint64_t key, PortIndex port, uint64_t now_ms, bool is_static);
  void move_locked(uint32_t slot, PortIndex port, uint64_t now_ms, bool is_static);
  void remove_locked(uint32_t slot);
  bool evict_one_locked(uint64_t now_ms);
  void list_push_tail(PortIndex port, uint32_t slot, uint64_t now_ms);
  void list_unlink(PortIndex port, uint32_t slot);
  void list_replace(PortIndex port, uint32_t old_slot, uint32_t new_slot);
  uint32_t displace_locked(uint32_t b1, uint32_t b2);
  template <typename Pred>
  size_t remove_if_locked(Pred pred);

  FdbSettings settings_;
  std::atomic<uint64_t> aging_ms_;
  uint32_t n_buckets_;
  std::unique_ptr<Bucket[]> buckets_;

  // Writer-only state: per-slot list links and queue stamps, per-port list heads and counts.
  mutable std::mutex writer_;
  std::unique_ptr<uint32_t[]> next_;
  std::unique_ptr<uint32_t[]> prev_;
  std::unique_ptr<uint32_t[]> queued_at_;  // low 32 bits of ms
  struct PortList {
    uint32_t head = kNil, tail = kNil, count = 0;
  };
  std::vector<PortList> lists_;  // indexed by PortIndex
  uint32_t port_limit_ = 0;      // 1 + the highest port index ever listed: bounds eviction scans
  uint32_t entries_ = 0;

  std::atomic<uint64_t> learned_{0}, moved_{0}, aged_{0}, evicted_{0}, deferred_{0};
  std::atomic<uint32_t> entries_pub_{0};
};

}  // namespace lvs::sw
