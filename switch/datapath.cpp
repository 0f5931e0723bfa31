#include "switch/datapath.hpp"

#include <poll.h>
#include <pthread.h>
#include <rte_cycles.h>
#include <rte_lcore.h>
#include <rte_rcu_qsbr.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <set>

#include "switch/pipeline.hpp"

namespace lvs::sw {
namespace {

constexpr uint64_t kFirstNapNs = 20'000;
constexpr uint64_t kLastNapNs = 1'000'000;
constexpr uint64_t kMaxSleepNs = 200'000'000;
// Up to this many queues with a ready fd, a PMD tries each of them every iteration (one
// syscall each, lowest latency); above it, it asks epoll which are ready (one syscall).
constexpr size_t kDirectPollMax = 8;
constexpr int kMaxReadyPerIteration = 256;

}  // namespace

Datapath::Datapath(Options o)
    : clock_(o.clock ? o.clock : &steady_),
      pool_(o.pool),
      pmd_nice_(o.pmd_nice),
      multicast_budget_(o.multicast_budget),
      current_(new Snapshot),
      pmd_sleep_(o.pmd_sleep),
      quiet_cycles_(0) {
  set_pmd_sleep(o.pmd_sleep, o.quiet_us);
  const unsigned n = std::max(1u, o.pmd_threads);
  for (unsigned i = 0; i < n; ++i) {
    auto p = std::make_unique<Pmd>();
    p->index = i;
    p->tx = TxBatches(i);
    p->core = i < o.pmd_cores.size() ? o.pmd_cores[i] : -1;
    p->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    p->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
    pmds_.push_back(std::move(p));
  }
  current_.load()->rx_by_pmd.resize(n);
  current_.load()->stages_by_pmd.resize(n);
  const size_t sz = rte_rcu_qsbr_get_memsize(n);
  qsbr_ = static_cast<rte_rcu_qsbr*>(std::aligned_alloc(
      RTE_CACHE_LINE_SIZE, (sz + RTE_CACHE_LINE_SIZE - 1) & ~size_t{RTE_CACHE_LINE_SIZE - 1}));
  std::memset(static_cast<void*>(qsbr_), 0, sz);
  rte_rcu_qsbr_init(qsbr_, n);
}

Datapath::~Datapath() {
  stop();
  for (auto& p : pmds_) {
    p->tx.discard();
    if (p->wake_fd >= 0) close(p->wake_fd);
    if (p->epoll_fd >= 0) close(p->epoll_fd);
  }
  delete current_.load();
  std::free(qsbr_);
}

static std::optional<std::string> validate_mirrors(const BridgeConfig& b) {
  if (b.mirrors.size() > kMaxMirrorsPerBridge)
    return "bridge " + b.name + " has more than " + std::to_string(kMaxMirrorsPerBridge) +
           " mirrors and captures";
  std::set<std::string> names, ports;
  for (const auto& p : b.ports) ports.insert(p.name);
  for (const auto& m : b.mirrors) {
    const std::string what = "mirror " + m.name + " of bridge " + b.name;
    if (!names.insert(m.name).second) return what + " given twice";
    if (m.output_port.empty() == !m.output_sink) return what + ": needs exactly one output";
    if (!m.output_port.empty() && !ports.count(m.output_port))
      return what + ": output port " + m.output_port + " is not on the bridge";
    for (const auto* list : {&m.select_src, &m.select_dst})
      for (const auto& p : *list) {
        if (!ports.count(p)) return what + ": port " + p + " is not on the bridge";
        if (p == m.output_port) return what + ": output port " + p + " is also selected";
      }
    for (uint16_t v : m.select_vlan)
      if (v > 4095) return what + ": VLAN " + std::to_string(v) + " out of range";
  }
  return std::nullopt;
}

std::optional<std::string> Datapath::validate(const DatapathConfig& config) const {
  std::set<std::string> bridges, ports;
  for (const auto& b : config.bridges) {
    if (b.name.empty()) return "bridge with an empty name";
    if (!bridges.insert(b.name).second) return "bridge " + b.name + " given twice";
    if (b.ports.size() >= kMaxPortsPerBridge)
      return "bridge " + b.name + " has more than " + std::to_string(kMaxPortsPerBridge - 1) +
             " ports";
    if (b.fdb.max_entries == 0) return "bridge " + b.name + ": mac-table-size must be > 0";
    for (const auto& p : b.ports) {
      if (!p.port) return "port " + p.name + " has no implementation";
      if (!ports.insert(p.name).second)
        return "port " + p.name + " is on two bridges or given twice";
      for (auto k : {FloodKind::kBroadcast, FloodKind::kMulticast, FloodKind::kUnknownUnicast})
        if (p.storm.of(k) && *p.storm.of(k) > kMaxStormPps)
          return "port " + p.name + ": storm-control rate above " + std::to_string(kMaxStormPps);
      if (p.ingress_policing.rate_kbps > kMaxRateKbps || p.egress_limit.rate_kbps > kMaxRateKbps)
        return "port " + p.name + ": rate limit above " + std::to_string(kMaxRateKbps) + " kbit/s";
    }
    if (auto err = validate_mirrors(b)) return err;
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
  struct PendingRxq {
    std::string name;
    const BridgeView* bridge;
    PortIndex port;
    Port* p;
    uint16_t queue;
    const StormLimits* storm;
    RxFilter* filter;
    const RateLimit* policing;  // null: none
  };
  std::vector<PendingRxq> rxqs;
  struct PendingEgress {
    uint32_t slot;
    const BridgeView* bridge;
    const RateLimit* limit;
  };
  std::vector<PendingEgress> egress;
  std::vector<std::pair<uint32_t, SlotMirror>> slot_mirrors;
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
    if (bc.rstp && !st.stp) st.stp = std::make_shared<StpHooks>();
    if (!bc.rstp) st.stp.reset();

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
    view->stp = st.stp;
    if (!st.neighbours) st.neighbours = std::make_shared<NeighbourTables>();
    view->neighbours = st.neighbours;
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
        if (st.stp) st.stp->set_state(idx, kStpDiscarding);  // until its spanning tree says
      }
      st.vlan_of[pc.name] = pc.vlan;
      max_index = std::max<PortIndex>(max_index, idx);
      placed.emplace_back(idx, &pc);
    }
    view->ports.resize(bc.ports.empty() ? 0 : max_index + 1);
    std::vector<VlanPolicy> policies(view->ports.size());
    std::vector<bool> eligible(view->ports.size(), false);
    std::vector<uint8_t> groups(view->ports.size(), 0);
    std::vector<bool> protected_ports(view->ports.size(), false);
    // A mirror's output port is the mirror's alone (Open vSwitch's output_port): it receives
    // nothing, is in no flood set and no unicast goes to it.
    std::set<std::string> mirror_outputs;
    for (const auto& mc : bc.mirrors)
      if (!mc.output_port.empty()) mirror_outputs.insert(mc.output_port);
    for (auto [idx, pc] : placed) {
      BridgePortView& pv = view->ports[idx];
      const bool reserved = mirror_outputs.count(pc->name) > 0;
      pv.port = pc->port;
      pv.vlan = pc->vlan;
      pv.admin_up = pc->admin_up && !reserved;
      pv.split_horizon_group = pc->split_horizon_group;
      pv.rx_filter = pc->rx_filter;
      pv.protected_port = pc->protected_port;
      groups[idx] = pc->split_horizon_group;
      protected_ports[idx] = pc->protected_port;
      pv.tx_slot = static_cast<uint32_t>(next->tx_ports.size());
      if (pc->egress_limit.any()) egress.push_back({pv.tx_slot, view.get(), &pc->egress_limit});
      next->tx_ports.push_back(pc->port.get());
      policies[idx] = pc->vlan;
      eligible[idx] = pv.admin_up;
      if (pv.admin_up)
        for (uint16_t q = 0; q < pc->port->rx_queue_count(); ++q)
          rxqs.push_back({bc.name + "/" + pc->name, view.get(), idx, pc->port.get(), q,
                          pc->storm.any() ? &pc->storm : nullptr, pc->rx_filter.get(),
                          pc->ingress_policing.any() ? &pc->ingress_policing : nullptr});
    }
    view->flood.build(policies, eligible, groups, protected_ports);
    build_mirrors(bc, st, *view, placed, slot_mirrors);
    // Mark indices in use (including the ones being retired, until they are flushed).
    for (auto [idx, pc] : placed) st.used[idx] = true;
    next->bridges.push_back(std::move(view));
    pending.push_back(std::move(pend));
  }

  // Encapsulating ports leave by their egress port's batch: give it a slot if no bridge has.
  {
    std::set<Port*> slotted(next->tx_ports.begin(), next->tx_ports.end());
    const size_t bridged = next->tx_ports.size();
    for (size_t i = 0; i < bridged; ++i)
      if (Port* via = next->tx_ports[i]->egress_port(); via && slotted.insert(via).second)
        next->tx_ports.push_back(via);
  }

  if (!slot_mirrors.empty()) {
    next->slot_mirrors.resize(next->tx_ports.size());
    for (const auto& [slot, sm] : slot_mirrors) next->slot_mirrors[slot] = sm;
  }

  // Spread rx queues round-robin over PMDs, in name order so the assignment is predictable.
  // Queues filled by one rx stage go to the PMD of the first of them, which polls the stage.
  std::sort(rxqs.begin(), rxqs.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  next->stages_by_pmd.resize(pmds_.size());
  std::vector<size_t> pmd_of(rxqs.size());
  {
    std::map<RxStage*, size_t> stage_pmd;
    size_t turn = 0;
    for (size_t i = 0; i < rxqs.size(); ++i) {
      std::shared_ptr<RxStage> stage = rxqs[i].p->rx_stage();
      if (stage) {
        auto [it, fresh] = stage_pmd.try_emplace(stage.get(), turn % pmds_.size());
        if (fresh) {
          ++turn;
          next->stages_by_pmd[it->second].push_back(std::move(stage));
        }
        pmd_of[i] = it->second;
      } else {
        pmd_of[i] = turn++ % pmds_.size();
      }
    }
  }
  std::map<Port*, std::set<size_t>> pmds_of;  // PMDs polling each port with storm limits
  for (size_t i = 0; i < rxqs.size(); ++i)
    if (rxqs[i].storm) pmds_of[rxqs[i].p].insert(pmd_of[i]);
  std::map<std::pair<Port*, size_t>, StormBuckets*> buckets;
  std::map<Port*, std::set<size_t>> policed_pmds;  // the same for ingress policing
  for (size_t i = 0; i < rxqs.size(); ++i)
    if (rxqs[i].policing) policed_pmds[rxqs[i].p].insert(pmd_of[i]);
  std::map<std::pair<Port*, size_t>, ByteBucket*> policers;
  const uint64_t hz = clock_->cycles_hz(), cycles = clock_->now_cycles();
  for (size_t i = 0; i < rxqs.size(); ++i) {
    const PendingRxq& r = rxqs[i];
    const size_t pmd = pmd_of[i];
    StormBuckets* storm = nullptr;
    if (r.storm) {
      auto [it, fresh] = buckets.try_emplace({r.p, pmd}, nullptr);
      if (fresh) {
        const auto share = static_cast<unsigned>(pmds_of[r.p].size());
        next->storms.push_back(std::make_unique<StormBuckets>(*r.storm, share, hz, cycles));
        it->second = next->storms.back().get();
      }
      storm = it->second;
    }
    ByteBucket* policer = nullptr;
    if (r.policing) {
      auto [it, fresh] = policers.try_emplace({r.p, pmd}, nullptr);
      if (fresh) {
        const auto share = static_cast<unsigned>(policed_pmds[r.p].size());
        next->rate_buckets.push_back(std::make_unique<ByteBucket>(*r.policing, share, hz, cycles));
        it->second = next->rate_buckets.back().get();
      }
      policer = it->second;
    }
    next->rx_by_pmd[pmd].all.push_back(Rxq{r.bridge, r.port, r.p, r.queue, storm, r.filter,
                                           r.p->rx_ready_fd(r.queue), policer});
  }
  if (!egress.empty()) {
    // Any PMD polling a queue of the port's bridge may send to it, and so may those of the
    // bridges whose tunnels leave by it: the rate is split between all of them.
    std::map<const BridgeView*, std::set<size_t>> bridge_pmds;
    for (size_t i = 0; i < rxqs.size(); ++i) bridge_pmds[rxqs[i].bridge].insert(pmd_of[i]);
    next->egress_by_pmd.assign(pmds_.size(), std::vector<ByteBucket*>(next->tx_ports.size()));
    for (const PendingEgress& e : egress) {
      std::set<size_t> senders = bridge_pmds[e.bridge];
      Port* const port = next->tx_ports[e.slot];
      for (const auto& view : next->bridges)
        for (const BridgePortView& pv : view->ports)
          if (pv.port && pv.port->egress_port() == port)
            senders.insert(bridge_pmds[view.get()].begin(), bridge_pmds[view.get()].end());
      const auto share = static_cast<unsigned>(std::max<size_t>(senders.size(), 1));
      for (size_t pmd = 0; pmd < pmds_.size(); ++pmd) {
        next->rate_buckets.push_back(std::make_unique<ByteBucket>(*e.limit, share, hz, cycles));
        next->egress_by_pmd[pmd][e.slot] = next->rate_buckets.back().get();
      }
    }
  }
  for (size_t i = 0; i < pmds_.size(); ++i) {
    PmdQueues& pq = next->rx_by_pmd[i];
    size_t ready = 0;
    for (const Rxq& q : pq.all) ready += q.ready_fd >= 0;
    pq.by_readiness = ready > kDirectPollMax && pmds_[i]->epoll_fd >= 0;
    for (uint32_t k = 0; k < pq.all.size(); ++k)
      if (!pq.by_readiness || pq.all[k].ready_fd < 0) pq.always.push_back(k);
  }

  Snapshot* old = current_.exchange(next.release(), std::memory_order_acq_rel);
  wake_all();  // sleeping PMDs take up their new rx queues now
  // Wait for every PMD to pass a quiescent point, sleeping between checks: spinning would take
  // the core a busy PMD needs to get there (2 cores, a PMD in a long flood iteration).
  const uint64_t token = rte_rcu_qsbr_start(qsbr_);
  while (rte_rcu_qsbr_check(qsbr_, token, false) == 0) {
    const timespec nap{0, 50'000};
    nanosleep(&nap, nullptr);
  }
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

void Datapath::build_mirrors(const BridgeConfig& bc, BridgeState& st, BridgeView& view,
                             const std::vector<std::pair<PortIndex, const PortConfig*>>& placed,
                             std::vector<std::pair<uint32_t, SlotMirror>>& slot_mirrors) {
  std::vector<std::pair<std::string, BridgeState::Mirror>> kept;
  if (bc.mirrors.empty()) {
    st.mirrors.clear();
    return;
  }
  auto table = std::make_shared<MirrorTable>();
  std::map<std::string, PortIndex> index_of;
  for (auto [idx, pc] : placed) index_of[pc->name] = idx;
  std::vector<uint32_t> tx_mask(view.ports.size(), 0);
  std::vector<MirrorCounters*> output_of(view.ports.size(), nullptr);
  for (size_t m = 0; m < bc.mirrors.size(); ++m) {
    const MirrorConfig& mc = bc.mirrors[m];
    std::shared_ptr<MirrorCounters> counters;
    for (auto& [name, live] : st.mirrors)
      if (name == mc.name && live.sink == mc.output_sink) counters = live.counters;
    if (!counters) counters = std::make_shared<MirrorCounters>();
    kept.push_back({mc.name, {counters, mc.output_sink}});
    MirrorOutput out;
    out.counters = counters.get();
    table->keep.push_back(counters);
    std::optional<PortIndex> output;
    if (mc.output_sink) {
      out.sink = mc.output_sink.get();
      table->keep.push_back(mc.output_sink);
    } else {
      output = index_of.at(mc.output_port);
      out.tx_slot = view.ports[*output].tx_slot;
      output_of[*output] = counters.get();
    }
    if (!mc.select_vlan.empty()) {
      auto set = std::make_shared<std::bitset<4096>>();
      for (uint16_t v : mc.select_vlan) set->set(v);
      out.vlans = set.get();
      table->keep.push_back(set);
    }
    table->outputs.push_back(out);
    const std::set<std::string> src(mc.select_src.begin(), mc.select_src.end());
    const std::set<std::string> dst(mc.select_dst.begin(), mc.select_dst.end());
    const uint32_t bit = 1u << m;
    for (auto [idx, pc] : placed) {
      if (output == idx) continue;
      if (mc.select_all || src.count(pc->name)) view.ports[idx].rx_mirrors |= bit;
      if (mc.select_all || dst.count(pc->name)) tx_mask[idx] |= bit;
    }
  }
  for (auto [idx, pc] : placed) {
    if (!tx_mask[idx] && !output_of[idx]) continue;
    const VlanPolicy& v = pc->vlan;
    const bool untagged_tag = v.mode() == VlanMode::kAccess || v.mode() == VlanMode::kNativeUntagged;
    slot_mirrors.push_back({view.ports[idx].tx_slot,
                            SlotMirror{table.get(), tx_mask[idx],
                                       static_cast<uint16_t>(untagged_tag ? v.tag() : 0),
                                       output_of[idx]}});
  }
  view.mirrors = std::move(table);
  st.mirrors = std::move(kept);
}

std::vector<MirrorStats> Datapath::mirror_stats(const std::string& bridge) const {
  std::vector<MirrorStats> out;
  std::lock_guard lock(control_);
  auto it = states_.find(bridge);
  if (it == states_.end()) return out;
  for (const auto& [name, live] : it->second.mirrors) {
    MirrorStats s{name, live.counters->packets.load(std::memory_order_relaxed),
                  live.counters->drops.load(std::memory_order_relaxed)};
    if (live.sink) s.drops += live.sink->dropped();
    out.push_back(std::move(s));
  }
  return out;
}

uint32_t Datapath::iterate(Pmd& pmd, const Snapshot& s) {
  const PmdQueues& queues = s.rx_by_pmd[pmd.index];
  if (pmd.generation != s.generation) {
    pmd.tx.reset(s.tx_ports, s.slot_mirrors.empty() ? nullptr : &s.slot_mirrors);
    if (!s.egress_by_pmd.empty()) pmd.tx.set_egress_limits(s.egress_by_pmd[pmd.index]);
    pmd.generation = s.generation;
    if (queues.by_readiness || pmd.epoll_generation != ~uint64_t{0}) rebuild_epoll(pmd, queues);
  }
  PipelineContext ctx{&pmd.tx, pool_, clock_->now_ms()};
  ctx.multicast_budget = multicast_budget_;
  rte_mbuf* pkts[kBurst];
  uint32_t moved = 0;
  bool have_cycles = false;
  if (__builtin_expect(!s.egress_by_pmd.empty(), 0)) {  // read only when a port has a limit
    ctx.now_cycles = clock_->now_cycles();
    have_cycles = true;
    pmd.tx.set_now_cycles(ctx.now_cycles);
  }
  // Stages first: what they read is in their ports' queues for the polls below. Their packets
  // are counted when those queues hand them over.
  for (const auto& stage : s.stages_by_pmd[pmd.index]) stage->poll(pmd.index);
  auto poll = [&](const Rxq& q) {
    uint16_t n = q.p->rx_burst(q.queue, pkts, kBurst);
    if (n == 0) return;
    moved += n;
    if (q.filter != nullptr && (n = q.filter->filter(pmd.index, pkts, n)) == 0) return;
    ctx.storm = q.storm;
    if ((q.storm || q.policer) && !have_cycles) {  // read only when a port has limits
      ctx.now_cycles = clock_->now_cycles();
      have_cycles = true;
    }
    if (__builtin_expect(q.policer != nullptr, 0)) {
      // Received, then policed: rx counters include what the policer drops.
      const uint16_t kept =
          q.policer->police(pkts, n, ctx.now_cycles, q.p->stats(), DropReason::kIngressPoliced);
      n = kept;  // rx counters count what passed, as OVS's rx_packets; the rest is a drop
      if (n == 0) return;
    }
    process_burst(*q.bridge, q.port, pkts, n, ctx);
  };
  for (uint32_t k : queues.always) poll(queues.all[k]);
  if (queues.by_readiness) {
    // Level-triggered: a queue left with frames is reported again; epoll rotates the ready list,
    // so a busy port cannot starve the others.
    epoll_event ev[kMaxReadyPerIteration];
    const int n = epoll_wait(pmd.epoll_fd, ev, kMaxReadyPerIteration, 0);
    for (int i = 0; i < n; ++i) poll(queues.all[ev[i].data.u32]);
  }
  pmd.tx.flush();
  return moved;
}

void Datapath::rebuild_epoll(Pmd& pmd, const PmdQueues& queues) {
  // A fresh set each time: fd numbers of removed ports may already belong to new ones, so a
  // diff by number could keep a stale registration. Costs one epoll_ctl per queue, per change.
  if (pmd.epoll_fd >= 0) close(pmd.epoll_fd);
  pmd.epoll_fd = epoll_create1(EPOLL_CLOEXEC);
  pmd.epoll_generation = pmd.generation;
  if (!queues.by_readiness || pmd.epoll_fd < 0) return;
  for (uint32_t k = 0; k < queues.all.size(); ++k) {
    const int fd = queues.all[k].ready_fd;
    if (fd < 0) continue;
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u32 = k;
    // Kinds whose queues share an fd keep rx_ready_fd at -1: one fd is one queue here.
    epoll_ctl(pmd.epoll_fd, EPOLL_CTL_ADD, fd, &ev);
  }
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
  uint64_t busy = 0, idle = 0, slept = 0, wakeups = 0, packets = 0, iterations = 0;
  uint64_t last_work = rte_rdtsc();
  uint64_t nap_ns = kFirstNapNs;  // sleep length for queues without an fd: grows while idle
  auto publish = [&] {
    pmd.busy.store(busy, std::memory_order_relaxed);
    pmd.idle.store(idle, std::memory_order_relaxed);
    pmd.slept.store(slept, std::memory_order_relaxed);
    pmd.wakeups.store(wakeups, std::memory_order_relaxed);
    pmd.packets.store(packets, std::memory_order_relaxed);
    pmd.iterations.store(iterations, std::memory_order_relaxed);
  };
  while (running_.load(std::memory_order_relaxed)) {
    const uint64_t t0 = rte_rdtsc();
    const uint32_t n = iterate(pmd, *current_.load(std::memory_order_acquire));
    const uint64_t t1 = rte_rdtsc();
    (n ? busy : idle) += t1 - t0;
    packets += n;
    // Publish counters now and then, not every iteration.
    if ((++iterations & 1023) == 0) publish();
    if (n) {
      last_work = t1;
      nap_ns = kFirstNapNs;
    } else if (pmd_sleep_.load(std::memory_order_relaxed) &&
               t1 - last_work > quiet_cycles_.load(std::memory_order_relaxed)) {
      // Still quiet after waking: sleep again at once (last_work stays), a little longer.
      publish();
      slept += sleep_until_work(pmd, nap_ns);
      ++wakeups;
      nap_ns = std::min(nap_ns * 2, kLastNapNs);
    }
    rte_rcu_qsbr_quiescent(qsbr_, pmd.index);
  }
  publish();
  rte_rcu_qsbr_thread_offline(qsbr_, pmd.index);
  rte_rcu_qsbr_thread_unregister(qsbr_, pmd.index);
  if (registered) rte_thread_unregister();
}

uint64_t Datapath::sleep_until_work(Pmd& pmd, uint64_t nap_ns) {
  // Gather the fds while still online: the snapshot may be freed once this PMD is offline.
  pollfd fds[64];
  nfds_t n = 0;
  fds[n++] = {pmd.wake_fd, POLLIN, 0};
  bool every_queue_has_fd = true;
  const Snapshot* cur = current_.load(std::memory_order_acquire);
  for (const auto& stage : cur->stages_by_pmd[pmd.index]) {
    const int fd = stage->wait_fd();
    if (fd < 0 || n == std::size(fds)) {
      every_queue_has_fd = false;
      continue;
    }
    fds[n++] = {fd, POLLIN, 0};
  }
  const PmdQueues& queues = cur->rx_by_pmd[pmd.index];
  // By readiness, the epoll set stands for all its queues (its fd polls readable when one is).
  if (queues.by_readiness && pmd.epoll_generation == cur->generation)
    fds[n++] = {pmd.epoll_fd, POLLIN, 0};
  else if (queues.by_readiness)
    every_queue_has_fd = false;  // not rebuilt yet: look again soon
  for (uint32_t k : queues.always) {
    const Rxq& q = queues.all[k];
    const int fd = q.p->rx_wait_fd(q.queue);
    if (fd < 0 || n == std::size(fds)) {
      every_queue_has_fd = false;
      continue;
    }
    fds[n++] = {fd, POLLIN, 0};
  }
  // Queues without an fd (DPDK devices) are looked at again after a nap; with fds only, the
  // PMD still wakes now and then to publish its counters.
  const uint64_t wait_ns = every_queue_has_fd ? kMaxSleepNs : nap_ns;
  const timespec ts{static_cast<time_t>(wait_ns / 1'000'000'000),
                    static_cast<long>(wait_ns % 1'000'000'000)};
  const uint64_t t0 = rte_rdtsc();
  rte_rcu_qsbr_thread_offline(qsbr_, pmd.index);
  if (ppoll(fds, n, &ts, nullptr) > 0 && (fds[0].revents & POLLIN)) {
    uint64_t v;
    [[maybe_unused]] ssize_t r = read(pmd.wake_fd, &v, sizeof(v));
  }
  rte_rcu_qsbr_thread_online(qsbr_, pmd.index);
  return rte_rdtsc() - t0;
}

void Datapath::wake_all() {
  const uint64_t one = 1;
  for (auto& p : pmds_)
    if (p->wake_fd >= 0) [[maybe_unused]]
      ssize_t r = write(p->wake_fd, &one, sizeof(one));
}

void Datapath::set_pmd_sleep(bool adaptive, uint32_t quiet_us) {
  pmd_sleep_.store(adaptive, std::memory_order_relaxed);
  quiet_cycles_.store(rte_get_tsc_hz() / 1'000'000 * quiet_us, std::memory_order_relaxed);
  wake_all();
}

void Datapath::start() {
  if (running_.exchange(true)) return;
  for (auto& p : pmds_) {
    p->packets = p->busy = p->idle = p->iterations = p->slept = p->wakeups = 0;
    Pmd* raw = p.get();
    p->thread = std::thread([this, raw] { pmd_main(*raw); });
  }
}

void Datapath::stop() {
  if (!running_.exchange(false)) return;
  wake_all();
  for (auto& p : pmds_)
    if (p->thread.joinable()) p->thread.join();
}

std::shared_ptr<Fdb> Datapath::fdb(const std::string& bridge) const {
  std::lock_guard lock(control_);
  auto it = states_.find(bridge);
  return it == states_.end() ? nullptr : it->second.fdb;
}

std::shared_ptr<StpHooks> Datapath::stp(const std::string& bridge) const {
  std::lock_guard lock(control_);
  auto it = states_.find(bridge);
  return it == states_.end() ? nullptr : it->second.stp;
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
    st.sleep_cycles = p->slept.load(std::memory_order_relaxed);
    st.wakeups = p->wakeups.load(std::memory_order_relaxed);
    for (const auto& stage : s->stages_by_pmd[p->index]) st.rx_queues.push_back(stage->name());
    for (const Rxq& q : s->rx_by_pmd[p->index].all)
      st.rx_queues.push_back(q.bridge->name + "/" + q.p->name() + ":" + std::to_string(q.queue));
    out.push_back(std::move(st));
  }
  return out;
}

}  // namespace lvs::sw
