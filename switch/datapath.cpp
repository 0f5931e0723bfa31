#include "switch/datapath.hpp"

#include <pthread.h>
#include <rte_cycles.h>
#include <rte_lcore.h>
#include <rte_rcu_qsbr.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <set>

#include "switch/pipeline.hpp"

namespace lvs::sw {

Datapath::Datapath(Options o)
    : clock_(o.clock ? o.clock : &steady_), pool_(o.pool), current_(new Snapshot) {
  const unsigned n = std::max(1u, o.pmd_threads);
  for (unsigned i = 0; i < n; ++i) {
    auto p = std::make_unique<Pmd>();
    p->index = i;
    p->tx = TxBatches(i);
    p->core = i < o.pmd_cores.size() ? o.pmd_cores[i] : -1;
    pmds_.push_back(std::move(p));
  }
  current_.load()->rx_by_pmd.resize(n);
  const size_t sz = rte_rcu_qsbr_get_memsize(n);
  qsbr_ = static_cast<rte_rcu_qsbr*>(std::aligned_alloc(RTE_CACHE_LINE_SIZE,
                                                        (sz + RTE_CACHE_LINE_SIZE - 1) &
                                                            ~size_t{RTE_CACHE_LINE_SIZE - 1}));
  std::memset(static_cast<void*>(qsbr_), 0, sz);
  rte_rcu_qsbr_init(qsbr_, n);
}

Datapath::~Datapath() {
  stop();
  for (auto& p : pmds_) p->tx.discard();
  delete current_.load();
  std::free(qsbr_);
}

std::optional<std::string> Datapath::validate(const DatapathConfig& config) const {
  std::set<std::string> bridges, ports;
  for (const auto& b : config.bridges) {
    if (b.name.empty()) return "bridge with an empty name";
    if (!bridges.insert(b.name).second) return "bridge " + b.name + " given twice";
    if (b.ports.size() >= kMaxPortsPerBridge)
      return "bridge " + b.name + " has more than " + std::to_string(kMaxPortsPerBridge - 1) + " ports";
    if (b.fdb.max_entries == 0) return "bridge " + b.name + ": mac-table-size must be > 0";
    for (const auto& p : b.ports) {
      if (!p.port) return "port " + p.name + " has no implementation";
      if (!ports.insert(p.name).second) return "port " + p.name + " is on two bridges or given twice";
    }
  }
  return std::nullopt;
}

std::optional<std::string> Datapath::apply(const DatapathConfig& config) {
  if (auto err = validate(config)) return err;
  std::lock_guard lock(control_);
  auto next = std::make_unique<Snapshot>();
  next->generation = ++generation_;
  next->rx_by_pmd.resize(pmds_.size());

  struct Pending {
    std::shared_ptr<Fdb> fdb;
    std::vector<PortIndex> flush;
    BridgeState* state;
  };
  std::vector<Pending> pending;
  std::vector<std::tuple<std::string, const BridgeView*, PortIndex, Port*, uint16_t>> rxqs;
  std::set<std::string> live_bridges;
  const uint64_t now = clock_->now_ms();

  for (const auto& bc : config.bridges) {
    live_bridges.insert(bc.name);
    auto [it, created] = states_.try_emplace(bc.name);
    BridgeState& st = it->second;
    if (created || !st.fdb) {
      st.fdb = std::make_shared<Fdb>(bc.fdb);
      st.used.assign(kMaxPortsPerBridge, false);
    } else if (st.fdb->settings().max_entries != bc.fdb.max_entries) {
      auto resized = std::make_shared<Fdb>(bc.fdb);
      resized->copy_from(*st.fdb, now);
      st.fdb = resized;
    } else if (st.fdb->settings().aging_s != bc.fdb.aging_s) {
      st.fdb->set_aging(bc.fdb.aging_s);
    }
    Pending pend{st.fdb, {}, &st};

    // Stable indices: existing ports keep theirs, removed ones are recycled only after the
    // grace period (their MACs are flushed first), new ones take the lowest free index.
    std::set<std::string> names;
    for (const auto& pc : bc.ports) names.insert(pc.name);
    for (auto pit = st.index_of.begin(); pit != st.index_of.end();) {
      if (!names.count(pit->first)) {
        pend.flush.push_back(pit->second);
        st.vlan_of.erase(pit->first);
        pit = st.index_of.erase(pit);
      } else {
        ++pit;
      }
    }
    std::vector<bool> taken = st.used;
    auto view = std::make_unique<BridgeView>();
    view->name = bc.name;
    view->fdb = st.fdb;
    view->forward_bpdu = bc.forward_bpdu;
    PortIndex max_index = 0;
    std::vector<std::pair<PortIndex, const PortConfig*>> placed;
    for (const auto& pc : bc.ports) {
      PortIndex idx;
      if (auto f = st.index_of.find(pc.name); f != st.index_of.end()) {
        idx = f->second;
        if (st.vlan_of[pc.name] != pc.vlan) pend.flush.push_back(idx);
      } else {
        idx = static_cast<PortIndex>(std::find(taken.begin(), taken.end(), false) - taken.begin());
        taken[idx] = true;
        st.index_of[pc.name] = idx;
      }
      st.vlan_of[pc.name] = pc.vlan;
      max_index = std::max<PortIndex>(max_index, idx);
      placed.emplace_back(idx, &pc);
    }
    view->ports.resize(bc.ports.empty() ? 0 : max_index + 1);
    std::vector<VlanPolicy> policies(view->ports.size());
    std::vector<bool> eligible(view->ports.size(), false);
    std::vector<uint8_t> groups(view->ports.size(), 0);
    for (auto [idx, pc] : placed) {
      BridgePortView& pv = view->ports[idx];
      pv.port = pc->port;
      pv.vlan = pc->vlan;
      pv.admin_up = pc->admin_up;
      pv.split_horizon_group = pc->split_horizon_group;
      groups[idx] = pc->split_horizon_group;
      pv.tx_slot = static_cast<uint32_t>(next->tx_ports.size());
      next->tx_ports.push_back(pc->port.get());
      policies[idx] = pc->vlan;
      eligible[idx] = pc->admin_up;
      if (pc->admin_up)
        for (uint16_t q = 0; q < pc->port->rx_queue_count(); ++q)
          rxqs.emplace_back(bc.name + "/" + pc->name, view.get(), idx, pc->port.get(), q);
    }
    view->flood.build(policies, eligible, groups);
    // Mark indices in use (including the ones being retired, until they are flushed).
    for (auto [idx, pc] : placed) st.used[idx] = true;
    next->bridges.push_back(std::move(view));
    pending.push_back(std::move(pend));
  }

  // Spread rx queues round-robin over PMDs, in name order so the assignment is predictable.
  std::sort(rxqs.begin(), rxqs.end(),
            [](const auto& a, const auto& b) { return std::get<0>(a) < std::get<0>(b); });
  for (size_t i = 0; i < rxqs.size(); ++i) {
    auto& [name, bv, idx, p, q] = rxqs[i];
    next->rx_by_pmd[i % pmds_.size()].push_back(Rxq{bv, idx, p, q});
  }

  Snapshot* old = current_.exchange(next.release(), std::memory_order_acq_rel);
  rte_rcu_qsbr_synchronize(qsbr_, RTE_QSBR_THRID_INVALID);
  delete old;

  // No PMD can still learn on retired indices: flush them and let them be reused.
  for (auto& pend : pending) {
    for (PortIndex idx : pend.flush) {
      pend.fdb->flush_port(idx);
      bool still_used = false;
      for (const auto& [name, i] : pend.state->index_of) still_used |= i == idx;
      if (!still_used) pend.state->used[idx] = false;
    }
  }
  for (auto it = states_.begin(); it != states_.end();) {
    it = live_bridges.count(it->first) ? std::next(it) : states_.erase(it);
  }
  return std::nullopt;
}

uint32_t Datapath::iterate(Pmd& pmd, const Snapshot& s) {
  if (pmd.generation != s.generation) {
    pmd.tx.reset(s.tx_ports);
    pmd.generation = s.generation;
  }
  PipelineContext ctx{&pmd.tx, pool_, clock_->now_ms()};
  rte_mbuf* pkts[kBurst];
  uint32_t moved = 0;
  for (const Rxq& q : s.rx_by_pmd[pmd.index]) {
    const uint16_t n = q.p->rx_burst(q.queue, pkts, kBurst);
    if (n == 0) continue;
    process_burst(*q.bridge, q.port, pkts, n, ctx);
    moved += n;
  }
  pmd.tx.flush();
  return moved;
}

uint32_t Datapath::poll_once(unsigned pmd) {
  const uint64_t t0 = rte_rdtsc();
  const uint32_t n = iterate(*pmds_.at(pmd), *current_.load(std::memory_order_acquire));
  Pmd& p = *pmds_[pmd];
  (n ? p.busy : p.idle).fetch_add(rte_rdtsc() - t0, std::memory_order_relaxed);
  p.packets.fetch_add(n, std::memory_order_relaxed);
  p.iterations.fetch_add(1, std::memory_order_relaxed);
  return n;
}

void Datapath::pmd_main(Pmd& pmd) {
  if (pmd.core >= 0) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(pmd.core, &set);
    pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
  }
  const bool registered = rte_thread_register() == 0;  // an lcore id: per-lcore mempool caches
  pthread_setname_np(pthread_self(), ("pmd" + std::to_string(pmd.index)).c_str());
  rte_rcu_qsbr_thread_register(qsbr_, pmd.index);
  rte_rcu_qsbr_thread_online(qsbr_, pmd.index);
  uint64_t busy = 0, idle = 0, packets = 0, iterations = 0;
  while (running_.load(std::memory_order_relaxed)) {
    const uint64_t t0 = rte_rdtsc();
    const uint32_t n = iterate(pmd, *current_.load(std::memory_order_acquire));
    const uint64_t dt = rte_rdtsc() - t0;
    (n ? busy : idle) += dt;
    packets += n;
    // Publish counters now and then, not every iteration.
    if ((++iterations & 1023) == 0) {
      pmd.busy.store(busy, std::memory_order_relaxed);
      pmd.idle.store(idle, std::memory_order_relaxed);
      pmd.packets.store(packets, std::memory_order_relaxed);
      pmd.iterations.store(iterations, std::memory_order_relaxed);
    }
    rte_rcu_qsbr_quiescent(qsbr_, pmd.index);
  }
  pmd.busy.store(busy);
  pmd.idle.store(idle);
  pmd.packets.store(packets);
  pmd.iterations.store(iterations);
  rte_rcu_qsbr_thread_offline(qsbr_, pmd.index);
  rte_rcu_qsbr_thread_unregister(qsbr_, pmd.index);
  if (registered) rte_thread_unregister();
}

void Datapath::start() {
  if (running_.exchange(true)) return;
  for (auto& p : pmds_) {
    p->packets = p->busy = p->idle = p->iterations = 0;
    Pmd* raw = p.get();
    p->thread = std::thread([this, raw] { pmd_main(*raw); });
  }
}

void Datapath::stop() {
  if (!running_.exchange(false)) return;
  for (auto& p : pmds_)
    if (p->thread.joinable()) p->thread.join();
}

std::shared_ptr<Fdb> Datapath::fdb(const std::string& bridge) const {
  std::lock_guard lock(control_);
  auto it = states_.find(bridge);
  return it == states_.end() ? nullptr : it->second.fdb;
}

std::optional<PortIndex> Datapath::port_index(const std::string& bridge,
                                              const std::string& port) const {
  std::lock_guard lock(control_);
  auto it = states_.find(bridge);
  if (it == states_.end()) return std::nullopt;
  auto p = it->second.index_of.find(port);
  if (p == it->second.index_of.end()) return std::nullopt;
  return p->second;
}

std::string Datapath::port_name(const std::string& bridge, PortIndex index) const {
  std::lock_guard lock(control_);
  auto it = states_.find(bridge);
  if (it == states_.end()) return {};
  for (const auto& [name, i] : it->second.index_of)
    if (i == index) return name;
  return {};
}

size_t Datapath::expire_all() {
  std::vector<std::shared_ptr<Fdb>> tables;
  {
    std::lock_guard lock(control_);
    for (auto& [name, st] : states_) tables.push_back(st.fdb);
  }
  size_t n = 0;
  const uint64_t now = clock_->now_ms();
  for (auto& t : tables) n += t->expire(now);
  return n;
}

std::vector<PmdStats> Datapath::pmd_stats() const {
  std::vector<PmdStats> out;
  std::lock_guard lock(control_);
  const Snapshot* s = current_.load(std::memory_order_acquire);
  for (const auto& p : pmds_) {
    PmdStats st;
    st.index = p->index;
    st.core = p->core;
    st.packets = p->packets.load(std::memory_order_relaxed);
    st.busy_cycles = p->busy.load(std::memory_order_relaxed);
    st.idle_cycles = p->idle.load(std::memory_order_relaxed);
    st.iterations = p->iterations.load(std::memory_order_relaxed);
    for (const Rxq& q : s->rx_by_pmd[p->index])
      st.rx_queues.push_back(q.bridge->name + "/" + q.p->name() + ":" + std::to_string(q.queue));
    out.push_back(std::move(st));
  }
  return out;
}

}  // namespace lvs::sw
