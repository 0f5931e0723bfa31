#include "switch/fdb.hpp"

#include <algorithm>

namespace lvs::sw {
Fdb::Fdb(FdbSettings settings) : settings_(settings), aging_ms_(uint64_t{settings.aging_s} * 1000) {
  const uint64_t slots = std::max<uint64_t>(uint64_t{settings.max_entries} * 2, 2 * kWays);
  n_buckets_ = static_cast<uint32_t>((slots + kWays - 1) / kWays);
  buckets_.reset(new Bucket[n_buckets_]);
  for (uint32_t b = 0; b < n_buckets_; ++b) {
    for (unsigned w = 0; w < kWays; ++w) {
      buckets_[b].key[w].store(0, std::memory_order_relaxed);
      buckets_[b].val[w].store(0, std::memory_order_relaxed);
    }
  }
  const uint32_t n_slots = n_buckets_ * kWays;
  next_.reset(new uint32_t[n_slots]);
  prev_.reset(new uint32_t[n_slots]);
  queued_at_.reset(new uint32_t[n_slots]);
  lists_.resize(kMaxPortsPerBridge);
}

void Fdb::learn_slow(const Probe& p, PortIndex port, uint64_t now_ms) {
  std::unique_lock lock(writer_, std::try_to_lock);
  if (!lock.owns_lock()) {
    deferred_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  const uint32_t s = find(p);  // again: another thread may have changed it meanwhile
  if (s == kNil) {
    if (insert_locked(p.key, port, now_ms, false)) learned_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  const uint64_t v = val_at(s).load(std::memory_order_relaxed);
  if (val_static(v) || val_port(v) == port) return;
  move_locked(s, port, now_ms, false);
  moved_.fetch_add(1, std::memory_order_relaxed);
  lock.unlock();
  if (FdbMoveSignal* signal = move_signal_.load(std::memory_order_acquire)) signal->raise();
}

void Fdb::list_push_tail(PortIndex port, uint32_t slot, uint64_t now_ms) {
  PortList& l = lists_[port];
  port_limit_ = std::max<uint32_t>(port_limit_, uint32_t{port} + 1);
  aging_note_push(l, static_cast<uint32_t>(now_ms));
  next_[slot] = kNil;
  prev_[slot] = l.tail;
  queued_at_[slot] = static_cast<uint32_t>(now_ms);
  if (l.tail != kNil)
    next_[l.tail] = slot;
  else
    l.head = slot;
  l.tail = slot;
  ++l.count;
}

void Fdb::list_unlink(PortIndex port, uint32_t slot) {
  PortList& l = lists_[port];
  aging_note_unlink(slot);
  if (prev_[slot] != kNil)
    next_[prev_[slot]] = next_[slot];
  else
    l.head = next_[slot];
  if (next_[slot] != kNil)
    prev_[next_[slot]] = prev_[slot];
  else
    l.tail = prev_[slot];
  --l.count;
}

bool Fdb::insert_locked(uint64_t key, PortIndex port, uint64_t now_ms, bool is_static) {
  if (port >= lists_.size()) return false;
  if (entries_ >= settings_.max_entries && !evict_one_locked(now_ms)) return false;
  const Probe pr = probe(key);
  const uint32_t b[2] = {pr.b1, pr.b2};
  uint32_t free_slot = kNil;
  for (uint32_t bi : b) {  // the primary bucket first: lookups then read one line (fdb.hpp)
    for (unsigned w = 0; w < kWays && free_slot == kNil; ++w)
      if (buckets_[bi].key[w].load(std::memory_order_relaxed) == 0) free_slot = bi * kWays + w;
    if (free_slot != kNil) break;
  }
  if (free_slot == kNil) free_slot = displace_locked(b[0], b[1]);
  if (free_slot == kNil) {
    // Both buckets full (rare at <= 50% load): of the dynamic entries there, give up one of
    // the port holding the most entries (the stalest of its), as the eviction policy says.
    uint32_t victim = kNil, victim_count = 0;
    uint64_t oldest = ~uint64_t{0};
    for (uint32_t bi : b) {
      for (unsigned w = 0; w < kWays; ++w) {
        const uint64_t v = buckets_[bi].val[w].load(std::memory_order_relaxed);
        if (val_static(v)) continue;
        const uint32_t count = lists_[val_port(v)].count;
        if (count > victim_count || (count == victim_count && val_time(v) < oldest))
          victim_count = count, oldest = val_time(v), victim = bi * kWays + w;
      }
    }
    if (victim == kNil) return false;
    remove_locked(victim);
    evicted_.fetch_add(1, std::memory_order_relaxed);
    free_slot = victim;
  }
  val_at(free_slot).store(make_val(port, now_ms, is_static), std::memory_order_relaxed);
  key_at(free_slot).store(key, std::memory_order_release);
  if (!is_static) list_push_tail(port, free_slot, now_ms);
  ++entries_;
  entries_pub_.store(entries_, std::memory_order_relaxed);
  return true;
}

void Fdb::move_locked(uint32_t slot, PortIndex port, uint64_t now_ms, bool is_static) {
  const uint64_t old = val_at(slot).load(std::memory_order_relaxed);
  if (!val_static(old)) list_unlink(val_port(old), slot);
  val_at(slot).store(make_val(port, now_ms, is_static), std::memory_order_release);
  if (!is_static) list_push_tail(port, slot, now_ms);
}

void Fdb::remove_locked(uint32_t slot) {
  const uint64_t v = val_at(slot).load(std::memory_order_relaxed);
  key_at(slot).store(0, std::memory_order_release);
  if (!val_static(v)) list_unlink(val_port(v), slot);
  --entries_;
  entries_pub_.store(entries_, std::memory_order_relaxed);
}

uint32_t Fdb::displace_locked(uint32_t b1, uint32_t b2) {
  // Cuckoo step of depth one: move a resident of either bucket to its other bucket if that one
  // has room. The copy is written before the original is cleared, so readers always find it.
  for (uint32_t bi : {b1, b2}) {
    for (unsigned w = 0; w < kWays; ++w) {
      const uint32_t from = bi * kWays + w;
      const uint64_t k = key_at(from).load(std::memory_order_relaxed);
      const Probe pr = probe(k);
      const uint32_t alt = pr.b1 == bi ? pr.b2 : pr.b1;
      for (unsigned aw = 0; aw < kWays; ++aw) {
        const uint32_t to = alt * kWays + aw;
        if (key_at(to).load(std::memory_order_relaxed) != 0) continue;
        const uint64_t v = val_at(from).load(std::memory_order_relaxed);
        val_at(to).store(v, std::memory_order_relaxed);
        key_at(to).store(k, std::memory_order_release);
        key_at(from).store(0, std::memory_order_release);
        if (!val_static(v)) list_replace(val_port(v), from, to);
        return from;
      }
    }
  }
  return kNil;
}

void Fdb::list_replace(PortIndex port, uint32_t old_slot, uint32_t new_slot) {
  PortList& l = lists_[port];
  aging_note_replace(old_slot, new_slot);
  prev_[new_slot] = prev_[old_slot];
  next_[new_slot] = next_[old_slot];
  queued_at_[new_slot] = queued_at_[old_slot];
  if (prev_[new_slot] != kNil)
    next_[prev_[new_slot]] = new_slot;
  else
    l.head = new_slot;
  if (next_[new_slot] != kNil)
    prev_[next_[new_slot]] = new_slot;
  else
    l.tail = new_slot;
}

bool Fdb::evict_one_locked(uint64_t now_ms) {
  (void)now_ms;
  // Lists hold dynamic entries only: static entries are never evicted.
  PortIndex victim_port = kNoPort;
  uint32_t most = 0;
  for (size_t p = 0; p < port_limit_; ++p) {
    if (lists_[p].count > most) most = lists_[p].count, victim_port = static_cast<PortIndex>(p);
  }
  if (victim_port == kNoPort) return false;
  PortList& l = lists_[victim_port];
  for (uint32_t steps = 0, n = l.count; steps <= n && l.head != kNil; ++steps) {
    const uint32_t slot = l.head;
    const uint64_t v = val_at(slot).load(std::memory_order_relaxed);
    const bool seen_since_queued =
        static_cast<int32_t>(static_cast<uint32_t>(val_time(v)) - queued_at_[slot]) > 0;
    if (seen_since_queued) {  // second chance, stamped with when it was last seen
      list_unlink(victim_port, slot);
      list_push_tail(victim_port, slot, val_time(v));
      continue;
    }
    remove_locked(slot);
    evicted_.fetch_add(1, std::memory_order_relaxed);
    return true;
  }
  return false;
}

bool Fdb::add_static(MacAddr mac, uint16_t vlan, PortIndex port, uint64_t now_ms) {
  std::lock_guard lock(writer_);
  const uint64_t key = make_key(mac.to_u64(), vlan);
  const uint32_t s = find(key);
  if (s != kNil) {
    move_locked(s, port, now_ms, true);
    return true;
  }
  return insert_locked(key, port, now_ms, true);
}

bool Fdb::remove(MacAddr mac, uint16_t vlan) {
  std::lock_guard lock(writer_);
  const uint32_t s = find(make_key(mac.to_u64(), vlan));
  if (s == kNil) return false;
  remove_locked(s);
  return true;
}

template <typename Pred>
size_t Fdb::remove_if_locked(Pred pred) {
  size_t n = 0;
  const uint32_t n_slots = n_buckets_ * kWays;
  for (uint32_t s = 0; s < n_slots; ++s) {
    const uint64_t k = key_at(s).load(std::memory_order_relaxed);
    if (k == 0) continue;
    if (pred(k, val_at(s).load(std::memory_order_relaxed))) {
      remove_locked(s);
      ++n;
    }
  }
  return n;
}

size_t Fdb::flush() {
  std::lock_guard lock(writer_);
  return remove_if_locked([](uint64_t, uint64_t) { return true; });
}

size_t Fdb::flush_port(PortIndex port) {
  std::lock_guard lock(writer_);
  if (port >= lists_.size()) return 0;
  return remove_if_locked([port](uint64_t, uint64_t v) { return val_port(v) == port; });
}

size_t Fdb::flush_vlan(uint16_t vlan) {
  std::lock_guard lock(writer_);
  return remove_if_locked(
      [vlan](uint64_t k, uint64_t v) { return !val_static(v) && ((k >> 48) & 0x0fff) == vlan; });
}

std::vector<FdbEntry> Fdb::dump(uint64_t now_ms) const {
  std::lock_guard lock(writer_);
  std::vector<FdbEntry> out;
  out.reserve(entries_);
  const uint32_t n_slots = n_buckets_ * kWays;
  for (uint32_t s = 0; s < n_slots; ++s) {
    const uint64_t k = key_at(s).load(std::memory_order_relaxed);
    if (k == 0) continue;
    const uint64_t v = val_at(s).load(std::memory_order_relaxed);
    FdbEntry e;
    e.mac = MacAddr::from_u64(k);
    e.vlan = static_cast<uint16_t>((k >> 48) & 0x0fff);
    e.port = val_port(v);
    e.is_static = val_static(v);
    const uint64_t now = now_ms & kTimeMask;
    e.age_ms = now > val_time(v) ? now - val_time(v) : 0;
    out.push_back(e);
  }
  return out;
}

std::optional<FdbEntry> Fdb::peek(uint64_t key, uint64_t now_ms) const {
  const uint32_t slot = find(key);
  if (slot == kNil) return std::nullopt;
  const uint64_t v = val_at(slot).load(std::memory_order_acquire);
  if (key_at(slot).load(std::memory_order_relaxed) != key) return std::nullopt;  // reused
  FdbEntry e;
  e.mac = MacAddr::from_u64(key);
  e.vlan = static_cast<uint16_t>((key >> 48) & 0x0fff);
  e.port = val_port(v);
  e.is_static = val_static(v);
  const uint64_t now = now_ms & kTimeMask;
  e.age_ms = now > val_time(v) ? now - val_time(v) : 0;
  return e;
}

uint32_t Fdb::port_entries(PortIndex port) const {
  std::lock_guard lock(writer_);
  return port < lists_.size() ? lists_[port].count : 0;
}

void Fdb::copy_from(const Fdb& other, uint64_t now_ms) {
  const auto entries = other.dump(now_ms);
  std::lock_guard lock(writer_);
  for (const auto& e : entries) {
    const uint64_t key = make_key(e.mac.to_u64(), e.vlan);
    if (find(key) == kNil)
      insert_locked(key, e.port, now_ms - std::min(now_ms, e.age_ms), e.is_static);
  }
}

FdbStats Fdb::stats() const {
  FdbStats s;
  s.entries = entries_pub_.load(std::memory_order_relaxed);
  s.learned = learned_.load(std::memory_order_relaxed);
  s.moved = moved_.load(std::memory_order_relaxed);
  s.aged = aged_.load(std::memory_order_relaxed);
  s.evicted = evicted_.load(std::memory_order_relaxed);
  s.learn_deferred = deferred_.load(std::memory_order_relaxed);
  s.max_entries = settings_.max_entries;
  return s;
}

size_t Fdb::memory_bytes() const {
  const size_t n_slots = size_t{n_buckets_} * kWays;
  return sizeof(Bucket) * n_buckets_ + n_slots * (sizeof(uint32_t) * 3) +
         lists_.size() * sizeof(PortList) + sizeof(*this);
}

}  // namespace lvs::sw
