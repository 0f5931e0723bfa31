// ClusterStore: one thread owns everything that talks to etcd (lease, publication, the view);
// a second one only reads the watch stream (a blocking HTTP response) and queues its replies.
//
// Session: lease (kept if etcd still knows it, else a new one), the view (a full range the first
// time and after a compaction; else the watch resumes at revision+1), everything we publish put
// again, the watch started; then until an error: watch replies applied, publications diffed
// against what we know is in etcd, keepalive every TTL/3. Any error ends the session: the view
// stays as it was (connected=false) and a new session is tried with backoff.
#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <unordered_set>

#include "ctl/cluster/cluster_view.hpp"
#include "ctl/cluster/etcd_client.hpp"
#include "ctl/cluster/key_schema.hpp"
#include "ctl/cluster/subnet_claim.hpp"

namespace lvs::ctl::cluster {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

namespace {

constexpr milliseconds kBackoffMin{100};
constexpr milliseconds kBackoffMax{2000};
constexpr auto kSubnetKeepalive = std::chrono::minutes(10);
constexpr size_t kMaxTxnOps = 128;  // etcd's --max-txn-ops default
// The watch asks for progress notifications (etcd's default interval: 10 min); a stream silent
// for longer than this is restarted from revision+1.
constexpr auto kWatchIdle = std::chrono::minutes(11);

milliseconds call_timeout(int ttl_s) {
  return std::clamp(milliseconds(ttl_s * 1000 / 4), milliseconds(500), milliseconds(2000));
}

struct ClaimedSubnet {
  std::string cluster_cidr;
  int host_prefix_len = 0;
  std::string subnet;
  int64_t lease = 0;
};

}  // namespace

struct ClusterStore::Impl {
  explicit Impl(StoreOptions o)
      : opts(std::move(o)),
        id(opts.host_id.empty() ? opts.local_ip : opts.host_id),
        timeout(call_timeout(std::max(1, opts.lease_ttl_s))),
        keepalive_every(std::max(1, opts.lease_ttl_s) * 1000 / 3) {
    if (opts.prefix.empty() || opts.prefix.back() != '/') opts.prefix += '/';
  }

  // --- shared with other threads (mu) ---
  StoreOptions opts;
  const std::string id;
  const milliseconds timeout;
  milliseconds keepalive_every;  // TTL/3 of the lease etcd granted
  mutable std::mutex mu;
  std::condition_variable cv;
  bool stopping = false;
  bool publish_pending = false;
  LocalState desired;
  ClusterView shared;              // what view() returns
  std::deque<WatchReply> replies;  // from the watch thread
  bool watch_ended = false;
  Error watch_error;
  ClaimedSubnet subnet;  // claim_subnet's, kept alive and re-asserted here
  bool subnet_dirty = false;
  std::function<void(const ClusterView&)> on_change;
  std::thread thread;

  // --- the store thread's own ---
  std::unique_ptr<EtcdClient> etcd;
  int64_t lease = 0;
  ClusterView view;
  std::unordered_map<std::string, size_t> endpoint_at;  // key -> index in view.endpoints
  // Our keys as we know them in etcd: value and the revision that wrote it (a watch event older
  // than our own last put of a key says nothing new).
  struct Written {
    std::string value;
    int64_t revision = 0;
  };
  std::unordered_map<std::string, Written> ours;
  // A station another host wrote over while we still published it: it moved there. We leave it
  // to that host (no tug of war) while our LocalState says the same of it; `yielded` holds the
  // value we publish for it then. Gone from our LocalState, changed in it, or deleted by the
  // other host: ours again.
  std::unordered_set<std::string> taken_over;  // seen in events, not yet matched to LocalState
  std::unordered_map<std::string, std::string> yielded;
  std::unique_ptr<EtcdWatch> watch;
  std::thread watch_thread;
  Clock::time_point next_keepalive, next_subnet_keepalive;

  void run();
  Status session(bool& full_sync);
  Status full_resync();
  void apply(const WatchReply& r, bool& touched_ours);
  void put_view_key(const KeyValue& kv);
  void delete_view_key(const std::string& key, int64_t revision);
  void note_ours(const std::string& key, const std::string& value, int64_t revision);
  Status grant_lease();
  std::unordered_map<std::string, std::string> desired_keys();
  Status publish_diff(bool force_all);
  Status keep_subnet(bool reassert);
  Status start_watch();
  void end_watch();
  void notify();
  bool wait_until(Clock::time_point t);  // false when stopping
};

void ClusterStore::Impl::notify() {
  {
    std::lock_guard lk(mu);
    shared = view;
  }
  if (on_change) on_change(view);
}

bool ClusterStore::Impl::wait_until(Clock::time_point t) {
  std::unique_lock lk(mu);
  cv.wait_until(lk, t, [&] { return stopping; });
  return !stopping;
}

void ClusterStore::Impl::put_view_key(const KeyValue& kv) {
  const KeyName k = parse_key(opts.prefix, kv.key);
  if (k.kind == KeyName::Kind::kHost) {
    auto m = parse_member(k.id, kv.value);
    if (!m) {
      view.error = m.error().message;
      view.members.erase(k.id);
      return;
    }
    m->lease_id = kv.lease;
    m->mod_revision = kv.mod_revision;
    view.members[k.id] = std::move(*m);
    if (k.id == id) note_ours(kv.key, kv.value, kv.mod_revision);
  } else if (k.kind == KeyName::Kind::kEndpoint) {
    auto e = parse_endpoint(k.vni, k.mac, kv.value);
    if (!e) {
      view.error = e.error().message;
      delete_view_key(kv.key, kv.mod_revision);
      return;
    }
    if (e->host == id)
      note_ours(kv.key, kv.value, kv.mod_revision);
    else if (const auto it = ours.find(kv.key);
             it != ours.end() && it->second.revision <= kv.mod_revision) {
      ours.erase(it);  // another host took this station over
      taken_over.insert(kv.key);
    }
    if (const auto it = endpoint_at.find(kv.key); it != endpoint_at.end()) {
      view.endpoints[it->second] = std::move(*e);
    } else {
      endpoint_at.emplace(kv.key, view.endpoints.size());
      view.endpoints.push_back(std::move(*e));
    }
  }
}

void ClusterStore::Impl::note_ours(const std::string& key, const std::string& value,
                                   int64_t revision) {
  Written& w = ours[key];
  if (w.revision > revision) return;
  w.value = value;
  w.revision = revision;
}

void ClusterStore::Impl::delete_view_key(const std::string& key, int64_t revision) {
  if (const auto it = ours.find(key); it != ours.end() && it->second.revision <= revision)
    ours.erase(it);
  yielded.erase(key);  // the host it moved to let it go: ours again if we still have it
  taken_over.erase(key);
  const KeyName k = parse_key(opts.prefix, key);
  if (k.kind == KeyName::Kind::kHost) {
    view.members.erase(k.id);
  } else if (k.kind == KeyName::Kind::kEndpoint) {
    const auto it = endpoint_at.find(key);
    if (it == endpoint_at.end()) return;
    const size_t i = it->second;
    endpoint_at.erase(it);
    if (i + 1 != view.endpoints.size()) {  // the last one moves into the hole
      Endpoint& last = view.endpoints.back();
      endpoint_at[endpoint_key(opts.prefix, last.vni, last.mac)] = i;
      view.endpoints[i] = std::move(last);
    }
    view.endpoints.pop_back();
  }
}

Status ClusterStore::Impl::full_resync() {
  auto all = etcd->range_prefix(opts.prefix);
  if (!all) return all.error();
  view.members.clear();
  view.endpoints.clear();
  endpoint_at.clear();
  ours.clear();
  view.error.clear();
  for (const auto& kv : all->kvs) put_view_key(kv);
  view.revision = all->revision;
  // Events were missed: a yielded station stays yielded only if another host still has it.
  for (auto it = yielded.begin(); it != yielded.end();) {
    const auto at = endpoint_at.find(it->first);
    if (at == endpoint_at.end() || view.endpoints[at->second].host == id)
      it = yielded.erase(it);
    else
      ++it;
  }
  taken_over.clear();
  return std::nullopt;
}

void ClusterStore::Impl::apply(const WatchReply& r, bool& touched_ours) {
  for (const auto& ev : r.events) {
    const bool was_ours = ours.count(ev.kv.key) > 0 || (ev.deleted && yielded.count(ev.kv.key));
    if (ev.deleted)
      delete_view_key(ev.kv.key, ev.kv.mod_revision);
    else
      put_view_key(ev.kv);
    touched_ours |= was_ours || ours.count(ev.kv.key) > 0;
    view.revision = std::max(view.revision, ev.kv.mod_revision);
  }
  // A progress notification: every event up to its revision was sent. (A created reply's
  // revision is not that: events before it may still be on their way.)
  if (r.events.empty() && !r.created && !r.canceled)
    view.revision = std::max(view.revision, r.revision);
}

std::unordered_map<std::string, std::string> ClusterStore::Impl::desired_keys() {
  std::lock_guard lk(mu);
  std::unordered_map<std::string, std::string> want;
  if (desired.self.id.empty()) return want;  // nothing published yet
  want[host_key(opts.prefix, id)] = member_value(desired.self);
  for (const auto& e : desired.endpoints)
    want[endpoint_key(opts.prefix, e.vni, e.mac)] = endpoint_value(e);
  return want;
}

Status ClusterStore::Impl::publish_diff(bool force_all) {
  {
    std::lock_guard lk(mu);
    publish_pending = false;
  }
  const auto want = desired_keys();
  for (const auto& key : taken_over)
    if (const auto w = want.find(key); w != want.end()) yielded.emplace(key, w->second);
  taken_over.clear();
  for (auto it = yielded.begin(); it != yielded.end();) {
    const auto w = want.find(it->first);
    if (w == want.end() || w->second != it->second)
      it = yielded.erase(it);
    else
      ++it;
  }
  // Puts go in txns of up to kMaxTxnOps: a host and its endpoints appear together, in one
  // round trip (and one fsync) per batch.
  std::vector<const std::string*> batch;
  nlohmann::json ops = nlohmann::json::array();
  auto flush = [&]() -> Status {
    if (batch.empty()) return std::nullopt;
    auto t = etcd->txn(nlohmann::json::array(), std::move(ops));
    ops = nlohmann::json::array();
    if (!t) return t.error();
    for (const std::string* key : batch) ours[*key] = Written{want.at(*key), t->revision};
    batch.clear();
    return std::nullopt;
  };
  auto add = [&](const std::string& key, const std::string& value) -> Status {
    const auto it = ours.find(key);
    if (!force_all && it != ours.end() && it->second.value == value) return std::nullopt;
    if (yielded.count(key)) return std::nullopt;
    ops.push_back(txn_put(key, value, lease));
    batch.push_back(&key);
    return batch.size() == kMaxTxnOps ? flush() : std::nullopt;
  };
  const std::string self_key = host_key(opts.prefix, id);
  if (const auto self = want.find(self_key); self != want.end())  // the host before its stations
    if (auto e = add(self->first, self->second)) return e;
  for (const auto& [key, value] : want)
    if (key != self_key)
      if (auto e = add(key, value)) return e;
  if (auto e = flush()) return e;
  std::vector<std::string> gone;
  for (const auto& [key, w] : ours)
    if (!want.count(key)) gone.push_back(key);
  // Only while the value is still ours: a station that moved belongs to its new host. A batch
  // at once when none moved (the usual case), else one by one.
  for (size_t at = 0; at < gone.size(); at += kMaxTxnOps) {
    const size_t end = std::min(gone.size(), at + kMaxTxnOps);
    nlohmann::json cmp = nlohmann::json::array(), del = nlohmann::json::array();
    for (size_t i = at; i < end; ++i) {
      cmp.push_back(txn_compare_value(gone[i], ours[gone[i]].value));
      del.push_back(txn_delete(gone[i]));
    }
    auto t = etcd->txn(std::move(cmp), std::move(del));
    if (!t) return t.error();
    for (size_t i = at; i < end && !t->succeeded; ++i) {
      auto one =
          etcd->txn({txn_compare_value(gone[i], ours[gone[i]].value)}, {txn_delete(gone[i])});
      if (!one) return one.error();
    }
    for (size_t i = at; i < end; ++i) ours.erase(gone[i]);
  }
  return std::nullopt;
}

Status ClusterStore::Impl::keep_subnet(bool reassert) {
  ClaimedSubnet s;
  {
    std::lock_guard lk(mu);
    s = subnet;
    subnet_dirty = false;
  }
  next_subnet_keepalive = Clock::now() + kSubnetKeepalive;
  if (s.subnet.empty()) return std::nullopt;
  int64_t ttl = 0;
  if (s.lease != 0) {
    auto k = etcd->lease_keepalive(s.lease);
    if (!k) return k.error();
    ttl = *k;
  }
  if (ttl > 0 && !reassert) return std::nullopt;
  if (ttl <= 0) {  // the lease expired (etcd away a long time) or there was none yet
    auto g = etcd->lease_grant(kSubnetLeaseTtlS);
    if (!g) return g.error();
    s.lease = g->id;
  }
  SubnetRequest req{opts.prefix, id, s.cluster_cidr, s.host_prefix_len, s.subnet, true};
  auto c = claim_subnet_in_etcd(*etcd, req, s.lease);
  std::lock_guard lk(mu);
  if (subnet.subnet == s.subnet) subnet.lease = s.lease;
  if (!c && c.error().code != kErrUnreachable) {
    view.error = "subnet " + s.subnet + ": " + c.error().message;
    return std::nullopt;  // not a connection problem: say it, keep going
  }
  return c ? Status() : Status(c.error());
}

Status ClusterStore::Impl::start_watch() {
  end_watch();
  {
    std::lock_guard lk(mu);
    replies.clear();
    watch_ended = false;
  }
  watch = std::make_unique<EtcdWatch>(etcd->endpoint(), timeout, kWatchIdle);
  const std::string key = opts.prefix, end = prefix_end(opts.prefix);
  const int64_t from = view.revision + 1;
  watch_thread = std::thread([this, key, end, from, w = watch.get()] {
    Status s = w->run(key, end, from, [this](WatchReply r) {
      std::lock_guard lk(mu);
      replies.push_back(std::move(r));
      cv.notify_all();
    });
    std::lock_guard lk(mu);
    watch_ended = true;
    watch_error = s.value_or(make_error(kErrUnreachable, "watch ended"));
    cv.notify_all();
  });
  // Ready once etcd says the watch is created.
  std::unique_lock lk(mu);
  const bool ready = cv.wait_for(lk, timeout * 5, [&] {
    return stopping || watch_ended || (!replies.empty() && replies.front().created);
  });
  if (stopping) return make_error(kErrEtcd, "stopping");
  if (watch_ended) return watch_error;
  if (!ready)
    return make_error(kErrUnreachable, "watch on " + etcd->endpoint() + ": not created in time");
  return std::nullopt;
}

void ClusterStore::Impl::end_watch() {
  if (watch) watch->cancel();
  if (watch_thread.joinable()) watch_thread.join();
  watch.reset();
}

Status ClusterStore::Impl::grant_lease() {
  auto g = etcd->lease_grant(opts.lease_ttl_s);
  if (!g) return g.error();
  lease = g->id;
  // etcd may grant more than asked (its minimum TTL): keep alive at a third of what it gave.
  keepalive_every = milliseconds(std::max<int64_t>(1, g->ttl_s) * 1000 / 3);
  next_keepalive = Clock::now() + keepalive_every;
  return std::nullopt;
}

Status ClusterStore::Impl::session(bool& full_sync) {
  // The lease: ours still if etcd knows it (it came back before the TTL ran out).
  if (lease != 0) {
    auto k = etcd->lease_keepalive(lease);
    if (!k) return k.error();
    if (*k <= 0) lease = 0;
  }
  if (lease == 0)
    if (auto e = grant_lease()) return e;
  view.error.clear();  // etcd answers again
  next_keepalive = Clock::now() + keepalive_every;
  if (!full_sync) {
    // Resume only into the same history: a store whose revision went back is another one.
    auto probe = etcd->range(opts.prefix, prefix_end(opts.prefix), 1);
    if (!probe) return probe.error();
    if (probe->revision < view.revision) full_sync = true;
  }
  if (full_sync) {
    if (auto e = full_resync()) return e;
    full_sync = false;
  }
  if (auto e = keep_subnet(true)) return e;
  if (auto e = publish_diff(true)) return e;  // everything again, under the lease we hold now
  if (auto e = start_watch()) return e;
  view.connected = true;
  notify();

  while (true) {
    std::deque<WatchReply> got;
    bool ended = false, pending = false, subnet_changed = false;
    Error ended_why;
    {
      std::unique_lock lk(mu);
      cv.wait_until(lk, std::min(next_keepalive, next_subnet_keepalive), [&] {
        return stopping || !replies.empty() || watch_ended || publish_pending || subnet_dirty;
      });
      if (stopping) return std::nullopt;
      got.swap(replies);
      ended = watch_ended;
      ended_why = watch_error;
      pending = publish_pending;
      subnet_changed = subnet_dirty;
    }
    bool changed = false, touched_ours = false, resync = false, rewatch = false;
    for (const auto& r : got) {
      if (r.compact_revision > 0) {
        resync = true;  // the events we missed are gone: start from a full range
        break;
      }
      if (r.canceled) {
        rewatch = true;
        break;
      }
      changed |= !r.events.empty();
      apply(r, touched_ours);
    }
    if (resync) {
      if (auto e = full_resync()) return e;
      touched_ours = changed = rewatch = true;
    }
    if (changed) notify();
    if (pending || touched_ours)
      if (auto e = publish_diff(false)) return e;
    if (subnet_changed)
      if (auto e = keep_subnet(true)) return e;
    if (Clock::now() >= next_keepalive) {
      auto k = etcd->lease_keepalive(lease);
      if (!k) return k.error();
      next_keepalive = Clock::now() + keepalive_every;
      if (*k <= 0) {  // expired under us (etcd was stalled longer than the TTL): start again
        if (auto e = grant_lease()) return e;
        if (auto e = publish_diff(true)) return e;
      }
    }
    if (Clock::now() >= next_subnet_keepalive)
      if (auto e = keep_subnet(false)) return e;
    if (ended && !rewatch) {
      // The stream broke: a session error unless etcd still answers (idle timeout, a cancel).
      auto k = etcd->lease_keepalive(lease);
      if (!k) return ended_why;
      rewatch = true;
    }
    if (rewatch)
      if (auto e = start_watch()) return e;
  }
}

void ClusterStore::Impl::run() {
  etcd = std::make_unique<EtcdClient>(opts.endpoints, timeout);
  bool full_sync = true;
  milliseconds backoff = kBackoffMin;
  while (true) {
    Status s = session(full_sync);
    end_watch();
    {
      std::lock_guard lk(mu);
      if (stopping) break;
    }
    const bool was_connected = view.connected;
    view.connected = false;
    view.error = s ? s->message : "disconnected";
    notify();
    if (was_connected) backoff = kBackoffMin;
    if (!wait_until(Clock::now() + backoff)) break;
    backoff = std::min(backoff * 2, kBackoffMax);
  }
  // A clean stop: our keys go at once rather than at the end of the TTL.
  if (lease != 0) etcd->lease_revoke(lease);
  lease = 0;
}

ClusterStore::ClusterStore(StoreOptions opts) : impl_(std::make_unique<Impl>(std::move(opts))) {}

ClusterStore::~ClusterStore() { stop(); }

void ClusterStore::start(std::function<void(const ClusterView&)> on_change) {
  if (impl_->thread.joinable()) return;
  {
    std::lock_guard lk(impl_->mu);
    impl_->stopping = false;
  }
  impl_->on_change = std::move(on_change);
  impl_->thread = std::thread([this] { impl_->run(); });
}

void ClusterStore::publish(LocalState state) {
  std::lock_guard lk(impl_->mu);
  if (!state.self.id.empty() && state.self.id != impl_->id) {
    impl_->shared.error = "publish: self.id '" + state.self.id + "' is not this store's host id '" +
                          impl_->id + "': nothing published";
    return;
  }
  state.self.id = impl_->id;
  for (auto& e : state.endpoints) e.host = impl_->id;
  impl_->desired = std::move(state);
  impl_->publish_pending = true;
  impl_->cv.notify_all();
}

ClusterView ClusterStore::view() const {
  std::lock_guard lk(impl_->mu);
  return impl_->shared;
}

std::variant<std::string, std::string> ClusterStore::claim_subnet(const std::string& cluster_cidr,
                                                                  int host_prefix_len) {
  using Out = std::variant<std::string, std::string>;
  SubnetRequest req{impl_->opts.prefix, impl_->id, cluster_cidr, host_prefix_len, "", false};
  if (auto bad = check_subnet_request(req)) return Out(std::in_place_index<1>, bad->message);
  const auto remembered =
      load_remembered_subnet(impl_->opts.state_dir, cluster_cidr, host_prefix_len);
  req.preferred = remembered.value_or("");
  int64_t lease = 0;
  {
    std::lock_guard lk(impl_->mu);
    if (impl_->subnet.cluster_cidr == cluster_cidr) lease = impl_->subnet.lease;
  }
  EtcdClient etcd(impl_->opts.endpoints, impl_->timeout);  // this thread's own
  Result<std::string> got = make_error(kErrUnreachable, "");
  if (lease != 0) {
    auto k = etcd.lease_keepalive(lease);
    if (k && *k <= 0) lease = 0;
  }
  if (lease == 0) {
    auto g = etcd.lease_grant(kSubnetLeaseTtlS);
    if (g)
      lease = g->id;
    else
      got = g.error();
  }
  if (lease != 0) got = claim_subnet_in_etcd(etcd, req, lease);
  if (!got) {
    // etcd away: the remembered subnet is still ours (its key outlives us by a day); the store
    // thread claims it again once etcd answers.
    if (got.error().code != kErrUnreachable || !remembered)
      return Out(std::in_place_index<1>, got.error().message);
    got = *remembered;
    lease = 0;
  }
  if (auto e = remember_subnet(impl_->opts.state_dir, cluster_cidr, host_prefix_len, *got))
    return Out(std::in_place_index<1>, e->message);
  std::lock_guard lk(impl_->mu);
  impl_->subnet = ClaimedSubnet{cluster_cidr, host_prefix_len, *got, lease};
  impl_->subnet_dirty = lease == 0;  // not in etcd yet
  impl_->cv.notify_all();
  return Out(std::in_place_index<0>, *got);
}

void ClusterStore::stop() {
  {
    std::lock_guard lk(impl_->mu);
    impl_->stopping = true;
    impl_->cv.notify_all();
  }
  if (impl_->thread.joinable()) impl_->thread.join();
}

}  // namespace lvs::ctl::cluster
