// Aging through the per-port lists, in small steps.
//
// Each port's list is ordered by when entries were queued (learnt, moved, or put back by
// eviction's second chance or by aging). A queue stamp is a "last seen" time, so it is never
// later than the entry's last seen (refreshes are lock-free and only move the value's time).
// A pass walks every port's list from its head:
//   - expired (not seen for the aging time): removed;
//   - queued longer ago than the aging time but seen since: put back at the tail, stamped with
//     when it was last seen;
//   - otherwise the head is young and, the list being in stamp order, so is the rest: the port
//     is done. Work per pass is what expires or comes due, not the size of the table.
// Order is not perfect: an entry put back at the tail may have been seen last before entries
// queued ahead of it (a station that went quiet), and PMDs' clocks differ by a little. Each
// list keeps the highest stamp pushed; a push more than kAgingSlackMs below it is out of order
// and its stamp is remembered (the lowest: `ooo_min`). Everything in order is at most
// kAgingSlackMs older than its predecessors, so stopping at a young head removes it at most that
// late. Once an out-of-order stamp could have expired, that port gets one full walk (itself in
// steps) that removes what expired, puts back what came due and finds the out-of-order stamps
// that remain. Entries therefore age within one aging period plus kAgingSlackMs plus one pass.
//
// A step examines at most `budget` entries under the writer mutex; between steps the mutex is
// released, PMDs learn, insert, move and evict, so the walk's cursor is kept valid by
// list_unlink / list_replace (aging_note_unlink / aging_note_replace).
#include <rte_pause.h>

#include <algorithm>

#include "switch/fdb.hpp"

namespace lvs::sw {

namespace {
// When a PMD found the writer mutex taken during a step (learn_deferred moved), the mutex is
// left free for as long as the step held it before the next one, so that learning gets half of
// the time while it competes with aging; otherwise the next step follows at once. Spinning, not
// sleeping or yielding: on a busy machine either lasts a scheduler slice (milliseconds).
void pause_for(std::chrono::steady_clock::duration held) {
  const auto until = std::chrono::steady_clock::now() + held;
  do rte_pause();
  while (std::chrono::steady_clock::now() < until);
}

constexpr int kAgingLookahead = 8;

bool before(uint32_t a, uint32_t b) { return static_cast<int32_t>(a - b) < 0; }
}  // namespace

void Fdb::aging_note_push(PortList& l, uint32_t stamp) {
  if (l.count == 0) {  // an empty list is in order whatever came before
    l.max_q = stamp;
    l.has_ooo = false;
    return;
  }
  const int32_t d = static_cast<int32_t>(stamp - l.max_q);
  if (d >= 0) {
    l.max_q = stamp;
    return;
  }
  if (-d <= kAgingSlackMs) return;
  if (!l.has_ooo || before(stamp, l.ooo_min)) l.ooo_min = stamp;
  l.has_ooo = true;
}

// Queued longer ago than the aging time (32-bit stamps, compared as differences).
bool Fdb::queued_before(uint32_t slot, uint64_t now_ms) const {
  const int32_t d = static_cast<int32_t>(static_cast<uint32_t>(now_ms) - queued_at_[slot]);
  return d > 0 && static_cast<uint64_t>(d) > aging_ms_.load(std::memory_order_relaxed);
}

// Ages one port's list within the step's budget; true when the port is finished.
bool Fdb::age_port_locked(PortIndex port, uint64_t now_ms, uint32_t budget, uint32_t& work,
                          size_t& removed) {
  PortList& l = lists_[port];
  // Walking a list is pointer chasing: fetch what entries a few links ahead will need while
  // the head is being handled (without it a mass expiry costs 5x the old full scan).
  uint32_t ahead = l.head;
  auto prefetch_ahead = [&] {
    if (ahead == kNil) return;
    rte_prefetch0(&buckets_[ahead / kWays]);
    rte_prefetch0(&queued_at_[ahead]);
    rte_prefetch0(&prev_[ahead]);
    ahead = next_[ahead];  // a stale link of an entry removed meanwhile is still a slot index
    if (ahead >= n_buckets_ * kWays) ahead = kNil;
    if (ahead != kNil) rte_prefetch0(&next_[ahead]);
  };
  if (!walk_.active) {
    for (int i = 0; i < kAgingLookahead; ++i) prefetch_ahead();
    while (l.head != kNil) {
      if (work >= budget) return false;
      ++work;
      prefetch_ahead();
      const uint32_t slot = l.head;
      const uint64_t v = val_at(slot).load(std::memory_order_acquire);
      if (expired(v, now_ms)) {
        remove_locked(slot);
        ++removed;
        continue;
      }
      if (!queued_before(slot, now_ms)) break;  // a young head: the rest is younger
      list_unlink(port, slot);
      list_push_tail(port, slot, val_time(v));
    }
    const uint32_t due = static_cast<uint32_t>(now_ms - aging_ms_.load(std::memory_order_relaxed));
    if (!l.has_ooo || before(due, l.ooo_min)) return true;
    walk_ = {.active = true, .slot = l.head, .left = l.count};
    l.has_ooo = false;  // pushes during the walk note their own; the walk finds the rest
  }
  ahead = walk_.slot;
  for (int i = 0; i < kAgingLookahead; ++i) prefetch_ahead();
  while (walk_.slot != kNil && walk_.left > 0) {
    if (work >= budget) return false;
    ++work;
    prefetch_ahead();
    --walk_.left;
    const uint32_t slot = walk_.slot;
    walk_.slot = next_[slot];
    const uint64_t v = val_at(slot).load(std::memory_order_acquire);
    if (expired(v, now_ms)) {
      remove_locked(slot);
      ++removed;
      continue;
    }
    if (queued_before(slot, now_ms)) {
      list_unlink(port, slot);
      list_push_tail(port, slot, val_time(v));
      continue;
    }
    const uint32_t q = queued_at_[slot];  // stays where it is: in order, or remembered
    if (!walk_.max_set || before(walk_.max_q, q)) {
      walk_.max_q = q;
      walk_.max_set = true;
    } else if (static_cast<int32_t>(walk_.max_q - q) > kAgingSlackMs &&
               (!walk_.found_set || before(q, walk_.found))) {
      walk_.found = q;
      walk_.found_set = true;
    }
  }
  if (walk_.found_set && l.count > 0) {
    if (!l.has_ooo || before(walk_.found, l.ooo_min)) l.ooo_min = walk_.found;
    l.has_ooo = true;
  }
  walk_ = {};
  return true;
}

size_t Fdb::expire_step(uint64_t now_ms, uint32_t budget, bool* pass_done) {
  budget = std::max<uint32_t>(budget, 2);  // a port and at least one of its entries
  // PMDs hold the mutex for one insert: spin for it a little rather than sleep in the kernel,
  // whose wake-up on a busy machine costs a scheduler slice per step; block if it lasts (the
  // holder was preempted).
  std::unique_lock lock(writer_, std::try_to_lock);
  for (int spins = 0; !lock.owns_lock(); ++spins) {
    if (spins == 4096) {
      lock.lock();
      break;
    }
    rte_pause();
    lock.try_lock();
  }
  size_t removed = 0;
  uint32_t work = 0;
  bool done = false;
  while (work < budget) {
    if (age_port_ >= port_limit_) {
      age_port_ = 0;
      done = true;
      break;
    }
    ++work;  // a port costs a little even when its list is empty
    if (!age_port_locked(static_cast<PortIndex>(age_port_), now_ms, budget, work, removed)) break;
    ++age_port_;
  }
  if (!done && age_port_ >= port_limit_ && !walk_.active) {  // the last port just finished
    age_port_ = 0;
    done = true;
  }
  aged_.fetch_add(removed, std::memory_order_relaxed);
  if (pass_done) *pass_done = done;
  return removed;
}

size_t Fdb::run_aging(uint64_t now_ms, int passes, std::chrono::steady_clock::time_point until) {
  size_t n = 0;
  while (passes > 0) {
    bool done = false;
    const auto t = std::chrono::steady_clock::now();
    const uint64_t deferred = deferred_.load(std::memory_order_relaxed);
    n += expire_step(now_ms, kAgingStep, &done);
    if (done) {
      --passes;
      continue;
    }
    const auto end = std::chrono::steady_clock::now();
    if (end >= until) break;
    if (deferred_.load(std::memory_order_relaxed) != deferred) pause_for(end - t);
  }
  return n;
}

size_t Fdb::expire(uint64_t now_ms) {
  // A pass already under way began before now_ms: finish it, then run a whole one, so that
  // everything expired at now_ms is gone on return.
  bool fresh;
  {
    std::lock_guard lock(writer_);
    fresh = age_port_ == 0 && !walk_.active;
  }
  return run_aging(now_ms, fresh ? 1 : 2, std::chrono::steady_clock::time_point::max());
}

size_t Fdb::age(uint64_t now_ms, std::chrono::steady_clock::duration budget) {
  return run_aging(now_ms, 1, std::chrono::steady_clock::now() + budget);
}

}  // namespace lvs::sw
