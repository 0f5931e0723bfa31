#pragma once
// MAC learning table keyed by (MAC, VLAN).
//
// Layout: 2-choice bucketised hash, 4 slots per 64-byte bucket (keys then values), about two
// slots per configured entry so both candidate buckets rarely fill; when they do, one resident
// moves to its other bucket (a cuckoo step of depth one). Per-port eviction lists link slots.
// A new key takes its primary bucket (b1) while that has room, its secondary only when b1 is
// full (rte_hash's order): at half load ~95% of entries sit in b1, so a burst's lookups
// prefetch one line per key and read the second only for the few keys b1 does not hold.
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
//
// Aging (fdb_aging.cpp) walks the same lists from their heads in bounded steps, releasing the
// writer mutex between steps, so a 1 M-entry table ages without stalling learning.
#include <rte_prefetch.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "switch/fdb_move_signal.hpp"
#include "switch/types.hpp"

namespace lvs::sw {

struct FdbSettings {
  uint32_t max_entries = 8192;  // OVS's default; >= 1,000,000 supported
  uint32_t aging_s = 300;       // 15..3600 accepted by the control plane
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
  // Raised after a learn moves a station to another port (null: none); the signal must outlive
  // the learns that may see it.
  void set_move_signal(FdbMoveSignal* s) { move_signal_.store(s, std::memory_order_release); }
  // Changing the aging time is immediate; capacity changes need a new table (see copy_from).
  void set_aging(uint32_t aging_s) {
    aging_ms_.store(uint64_t{aging_s} * 1000, std::memory_order_relaxed);
  }

  static uint64_t make_key(uint64_t mac, uint16_t vlan) {
    return (uint64_t{1} << 63) | (uint64_t{vlan & 0x0fffu} << 48) | (mac & 0xffffffffffffULL);
  }

  // ---- fast path: any thread, no locks; inline, the hash computed once per frame ----------
  struct Probe {
    uint64_t key;
    uint32_t b1, b2;  // the two candidate buckets
  };
  Probe probe(uint64_t key) const {
    const uint64_t h = mix64(key);
    Probe p{key, reduce(static_cast<uint32_t>(h), n_buckets_),
            reduce(static_cast<uint32_t>(h >> 32), n_buckets_)};
    if (__builtin_expect(p.b2 == p.b1, 0)) p.b2 = p.b1 + 1 == n_buckets_ ? 0 : p.b1 + 1;
    return p;
  }
  void prefetch(const Probe& p) const {
    rte_prefetch0(&buckets_[p.b1]);
    rte_prefetch0(&buckets_[p.b2]);
  }
  // Port of (mac, vlan), or kNoPort when unknown or aged out.
  PortIndex lookup(const Probe& p, uint64_t now_ms) const {
    for (int attempt = 0; attempt < 2; ++attempt) {
      const uint32_t slot = find(p);
      if (slot == kNil) return kNoPort;
      const uint64_t v = val_at(slot).load(std::memory_order_acquire);
      // The slot may have been reused between reading its key and its value: check again.
      if (__builtin_expect(key_at(slot).load(std::memory_order_relaxed) != p.key, 0)) continue;
      if (__builtin_expect(expired(v, now_ms), 0)) return kNoPort;
      return val_port(v);
    }
    return kNoPort;
  }
  PortIndex lookup(uint64_t key, uint64_t now_ms) const { return lookup(probe(key), now_ms); }
  // Learn that the key was seen on `port` at `now_ms`. Refreshes are lock-free; new MACs and
  // station moves take the writer lock if it is free and are deferred otherwise.
  void learn(const Probe& p, PortIndex port, uint64_t now_ms) {
    learn_found(p, find(p), port, now_ms);
  }
  void learn(uint64_t key, PortIndex port, uint64_t now_ms) { learn(probe(key), port, now_ms); }

  // ---- fast path, a burst at a time (VPP's l2fib_lookup_4, DPDK's rte_hash_lookup_bulk) -----
  // probe() and prefetch_primary() every key of the burst, then find_bulk() reads the primary
  // buckets and, for the keys not found there, prefetches their secondary buckets and reads
  // those after. A new entry goes to its primary bucket while that has room, so a hit rarely
  // needs the second line: one prefetch per key, not two. The slots found are then used, frame
  // by frame, by lookup_found() and learn_found(), which check the slot's key again (it may
  // have been reused meanwhile). A learn_found() that returns true took the writer's path
  // (insert, move, eviction): slots found before it may be stale, find_bulk() the rest again.
  using Slot = uint32_t;
  static constexpr unsigned kBulkMax = 64;  // find_bulk's n: a burst's sources and destinations
  void prefetch_primary(const Probe& p) const { rte_prefetch0(&buckets_[p.b1]); }
  void find_bulk(const Probe* p, unsigned n, Slot* slot) const {  // n <= kBulkMax
    uint64_t second = 0;  // bit i: key i not in its primary bucket
    for (unsigned i = 0; i < n; ++i) {
      slot[i] = find_in(p[i].b1, p[i].key);
      if (__builtin_expect(slot[i] == kNil, 0)) {
        rte_prefetch0(&buckets_[p[i].b2]);
        second |= uint64_t{1} << i;
      }
    }
    for (; second != 0; second &= second - 1) {
      const unsigned i = static_cast<unsigned>(__builtin_ctzll(second));
      slot[i] = find_in(p[i].b2, p[i].key);
    }
  }
  // lookup(p) with the slot find_bulk() found for p.
  PortIndex lookup_found(const Probe& p, Slot slot, uint64_t now_ms) const {
    if (slot == kNil) return kNoPort;
    const uint64_t v = val_at(slot).load(std::memory_order_acquire);
    if (__builtin_expect(key_at(slot).load(std::memory_order_relaxed) != p.key, 0))
      return lookup(p, now_ms);  // reused since it was found: look again
    if (__builtin_expect(expired(v, now_ms), 0)) return kNoPort;
    return val_port(v);
  }
  // learn(p, ...) with the slot find_bulk() found for p; true when it took the writer's path.
  bool learn_found(const Probe& p, Slot slot, PortIndex port, uint64_t now_ms) {
    if (__builtin_expect(slot != kNil, 1)) {
      auto& val = val_at(slot);
      uint64_t v = val.load(std::memory_order_acquire);
      if (__builtin_expect(key_at(slot).load(std::memory_order_relaxed) != p.key, 0)) {
        learn_slow(p, port, now_ms);  // reused since it was found: the writer looks again
        return true;
      }
      if (__builtin_expect(val_port(v) == port || val_static(v), 1)) {
        // Known here (or pinned by a static entry): refresh the age, rarely, without locks.
        if (!val_static(v) && (now_ms & kTimeMask) >= val_time(v) + kRefreshMs)
          val.compare_exchange_strong(v, make_val(port, now_ms, false), std::memory_order_release,
                                      std::memory_order_relaxed);
        return false;
      }
    }
    learn_slow(p, port, now_ms);
    return true;
  }
  // The ports of n keys (kNoPort: unknown or aged out), as n calls of lookup() would return.
  void lookup_bulk(const uint64_t* keys, unsigned n, uint64_t now_ms, PortIndex* ports) const {
    Probe p[kBulkMax];
    Slot slot[kBulkMax];
    for (unsigned done = 0; done < n; done += kBulkMax) {
      const unsigned k = n - done < kBulkMax ? n - done : kBulkMax;
      for (unsigned i = 0; i < k; ++i) prefetch_primary(p[i] = probe(keys[done + i]));
      find_bulk(p, k, slot);
      for (unsigned i = 0; i < k; ++i) ports[done + i] = lookup_found(p[i], slot[i], now_ms);
    }
  }

  // ---- control plane -------------------------------------------------------------------
  // Static entries never age, never move by learning and are not evicted.
  bool add_static(MacAddr mac, uint16_t vlan, PortIndex port, uint64_t now_ms);
  bool remove(MacAddr mac, uint16_t vlan);
  size_t flush();
  size_t flush_port(PortIndex port);
  size_t flush_vlan(uint16_t vlan);
  // Removes dynamic entries not seen for the aging time. Returns how many. Runs whole aging
  // passes (fdb_aging.cpp) in steps of at most kAgingStep entries, pausing with the writer
  // mutex released between steps, so that PMDs keep learning while a large table ages.
  size_t expire(uint64_t now_ms);
  // One step of the current aging pass: examines at most `budget` list entries under the
  // writer mutex, removes those expired at `now_ms`; `*pass_done` tells whether the pass that
  // step belongs to has covered every port (the next step starts a new pass). Returns how many.
  size_t expire_step(uint64_t now_ms, uint32_t budget, bool* pass_done);
  // The daemon's once-a-second aging: carries the current pass on at `now_ms` for about
  // `budget` (at least one step); what is left continues at the next call. Returns how many.
  size_t age(uint64_t now_ms, std::chrono::steady_clock::duration budget);
  static constexpr uint32_t kAgingStep = 128;
  std::vector<FdbEntry> dump(uint64_t now_ms) const;
  // The entry of `key` (aged out or not) without refreshing it or taking the writer lock
  // (vsctl trace); nullopt when there is none.
  std::optional<FdbEntry> peek(uint64_t key, uint64_t now_ms) const;
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
  // Aging trusts a list's order up to this much (PMDs' clocks, refresh granularity): an entry
  // queued later than another but stamped more than this earlier is out of order.
  static constexpr int32_t kAgingSlackMs = 1000;

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

  // A strong 64-bit mixer (splitmix64 finaliser): MACs differ mostly in their low bytes.
  static uint64_t mix64(uint64_t x) {
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    x ^= x >> 31;
    return x;
  }
  // Maps a 32-bit hash onto [0, n) without division (Lemire's multiply-shift).
  static uint32_t reduce(uint32_t h, uint32_t n) {
    return static_cast<uint32_t>((uint64_t{h} * n) >> 32);
  }
  // Slot index holding the key, or kNil.
  uint32_t find(const Probe& p) const {
    const uint32_t s = find_in(p.b1, p.key);
    return s != kNil ? s : find_in(p.b2, p.key);
  }
  uint32_t find_in(uint32_t bi, uint64_t key) const {
    const Bucket& bucket = buckets_[bi];
    for (unsigned w = 0; w < kWays; ++w)
      if (bucket.key[w].load(std::memory_order_acquire) == key) return bi * kWays + w;
    return kNil;
  }
  uint32_t find(uint64_t key) const { return find(probe(key)); }
  void learn_slow(const Probe& p, PortIndex port, uint64_t now_ms);
  std::atomic<uint64_t>& key_at(uint32_t slot) { return buckets_[slot / kWays].key[slot % kWays]; }
  std::atomic<uint64_t>& val_at(uint32_t slot) { return buckets_[slot / kWays].val[slot % kWays]; }
  const std::atomic<uint64_t>& key_at(uint32_t slot) const {
    return buckets_[slot / kWays].key[slot % kWays];
  }
  const std::atomic<uint64_t>& val_at(uint32_t slot) const {
    return buckets_[slot / kWays].val[slot % kWays];
  }
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
  // Aging through the per-port lists (fdb_aging.cpp).
  struct PortList;
  bool age_port_locked(PortIndex port, uint64_t now_ms, uint32_t budget, uint32_t& work,
                       size_t& removed);
  bool queued_before(uint32_t slot, uint64_t now_ms) const;
  size_t run_aging(uint64_t now_ms, int passes, std::chrono::steady_clock::time_point until);
  static void aging_note_push(PortList& l, uint32_t stamp);
  void aging_note_unlink(uint32_t slot) {
    if (walk_.slot == slot) walk_.slot = next_[slot];
  }
  void aging_note_replace(uint32_t old_slot, uint32_t new_slot) {
    if (walk_.slot == old_slot) walk_.slot = new_slot;
  }

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
    // Aging: the highest queue stamp pushed, and the lowest one pushed out of order (more than
    // kAgingSlackMs below max_q) since the port's last full walk, if any (fdb_aging.cpp).
    uint32_t max_q = 0, ooo_min = 0;
    bool has_ooo = false;
  };
  // The aging pass: the port it is at and, when that port needs one, its full walk.
  struct AgingWalk {
    bool active = false, max_set = false, found_set = false;
    uint32_t slot = kNil, left = 0, max_q = 0, found = 0;
  };
  uint32_t age_port_ = 0;
  AgingWalk walk_;
  std::vector<PortList> lists_;  // indexed by PortIndex
  uint32_t port_limit_ = 0;      // 1 + the highest port index ever listed: bounds eviction scans
  uint32_t entries_ = 0;

  std::atomic<uint64_t> learned_{0}, moved_{0}, aged_{0}, evicted_{0}, deferred_{0};
  std::atomic<uint32_t> entries_pub_{0};
  std::atomic<FdbMoveSignal*> move_signal_{nullptr};
};

}  // namespace lvs::sw
