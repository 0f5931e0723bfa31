#pragma once
// The running switch: bridges, their ports and FDBs, and the PMD threads that forward.
//
// Configuration is an immutable snapshot. apply() builds a new one, publishes it with one atomic
// store, waits until every PMD thread has passed a quiescent point (rte_rcu_qsbr) and only then
// frees the old one, flushes the MACs of removed ports and recycles their indices. PMDs pick up
// the new snapshot between bursts: adding or removing a port never stops the others.
#include <rte_mempool.h>

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "switch/bridge_view.hpp"
#include "switch/clock.hpp"
#include "switch/fdb.hpp"
#include "switch/mirror.hpp"
#include "switch/neighbour_table.hpp"
#include "switch/port.hpp"
#include "switch/rate_limit.hpp"
#include "switch/storm_control.hpp"
#include "switch/rx_filter.hpp"
#include "switch/stp_hooks.hpp"
#include "switch/rx_stage.hpp"
#include "switch/trace.hpp"
#include "switch/tx_batch.hpp"
#include "switch/vlan_policy.hpp"

struct rte_rcu_qsbr;

namespace lvs::sw {

struct PortConfig {
  std::string name;
  std::shared_ptr<Port> port;
  VlanPolicy vlan;
  bool admin_up = true;
  uint8_t split_horizon_group = 0;      // see BridgePortView
  StormLimits storm;                    // rate limits on what this port's frames would flood
  std::shared_ptr<RxFilter> rx_filter;  // frames for the switch itself, taken before the pipeline
  // Open vSwitch's Port `protected`: frames never pass from one protected port to another
  // (unicast is dropped as kProtected, floods skip them); learning is unchanged.
  bool protected_port = false;
  RateLimit ingress_policing;  // on what the port receives (rate_limit.hpp); rate 0: none
  RateLimit egress_limit;      // on what the switch sends out of it
};

struct BridgeConfig {
  std::string name;
  FdbSettings fdb;
  bool forward_bpdu = false;
  bool rstp = false;  // spanning tree: port states and BPDU queue (stp_hooks.hpp)
  std::vector<PortConfig> ports;
  std::vector<MirrorConfig> mirrors;  // mirror.hpp; their output ports forward nothing else
};

struct DatapathConfig {
  std::vector<BridgeConfig> bridges;
};

struct PmdStats {
  unsigned index = 0;
  int core = -1;  // -1: not pinned
  uint64_t packets = 0;
  uint64_t busy_cycles = 0;   // TSC cycles in iterations that moved packets
  uint64_t idle_cycles = 0;   // TSC cycles polling without finding anything
  uint64_t sleep_cycles = 0;  // TSC cycles asleep (adaptive PMD sleep)
  uint64_t wakeups = 0;
  uint64_t iterations = 0;
  std::vector<std::string> rx_queues;  // "bridge/port:queue", and its rx stages ("decap ...")
};

class Datapath {
 public:
  struct Options {
    unsigned pmd_threads = 1;
    std::vector<int> pmd_cores;    // pins PMD i to pmd_cores[i] when given
    rte_mempool* pool = nullptr;   // header copies for floods
    const Clock* clock = nullptr;  // default: steady clock
    // Adaptive sleep: after `quiet_us` without a frame a PMD sleeps until a port has work
    // (poll() on the ports' fds, or growing short sleeps for ports without one) or the
    // configuration changes. Off: busy-poll forever (lowest latency, a whole core).
    bool pmd_sleep = true;
    uint32_t quiet_us = 300;
    // Scheduling priority of PMD threads (as Open vSwitch does): a sleeping PMD woken by a
    // frame then runs at once instead of waiting behind the containers' processes. Needs
    // CAP_SYS_NICE; without it the threads keep the default.
    int pmd_nice = -20;
    // Frame copies multicast floods may make per PMD iteration (PipelineContext).
    uint32_t multicast_budget = 8192;
  };
  explicit Datapath(Options options);
  ~Datapath();
  Datapath(const Datapath&) = delete;
  Datapath& operator=(const Datapath&) = delete;

  // Checks a configuration without applying it; returns an error naming what is wrong.
  std::optional<std::string> validate(const DatapathConfig& config) const;
  // Publishes `config`. Returns an error (and changes nothing) when validate() fails.
  std::optional<std::string> apply(const DatapathConfig& config);

  // Changes the sleep policy of running PMDs (takes effect at their next idle period).
  void set_pmd_sleep(bool adaptive, uint32_t quiet_us);

  void start();  // launches the PMD threads
  void stop();   // joins them; queued frames are sent
  bool running() const { return running_.load(); }

  // One PMD iteration on the calling thread, for tests and benchmarks without PMD threads.
  // Must not run concurrently with apply() or with a started PMD of the same index.
  uint32_t poll_once(unsigned pmd);

  // Control-plane views.
  std::shared_ptr<Fdb> fdb(const std::string& bridge) const;
  // The bridge's spanning tree hooks, null when RSTP is off on it (or no such bridge).
  std::shared_ptr<StpHooks> stp(const std::string& bridge) const;
  std::optional<PortIndex> port_index(const std::string& bridge, const std::string& port) const;
  std::string port_name(const std::string& bridge, PortIndex index) const;
  size_t expire_all();  // aging pass over every bridge's table
  std::vector<PmdStats> pmd_stats() const;
  // `frame` arriving on `port` of `bridge`, through the live pipeline without side effects
  // (trace.hpp; datapath_trace.cpp). An unknown bridge or port sets the report's error.
  TraceReport trace(const std::string& bridge, const std::string& port,
                    std::span<const uint8_t> frame) const;
  // Replaces the bridge's neighbour table (ARP / ND suppression, neighbour_suppress.hpp) whole,
  // safely under running PMDs (neighbour_table.hpp; datapath_neighbours.cpp). An error, and no
  // change, for an unknown bridge or a bad entry (validate_neighbours). The table stays with the
  // bridge across apply() until replaced; an empty vector clears it.
  std::optional<std::string> set_neighbours(const std::string& bridge,
                                            std::vector<NeighbourEntry> entries);
  std::vector<NeighbourEntry> neighbours(const std::string& bridge) const;
  // The bridge's mirrors' counters (a sink's ring drops included), in configuration order.
  std::vector<MirrorStats> mirror_stats(const std::string& bridge) const;
  unsigned pmd_count() const { return static_cast<unsigned>(pmds_.size()); }
  uint64_t now_ms() const { return clock_->now_ms(); }

 private:
  struct Rxq {
    const BridgeView* bridge;
    PortIndex port;
    Port* p;
    uint16_t queue;
    StormBuckets* storm;  // this port's buckets of the polling PMD; null: no limits
    RxFilter* filter;     // kept alive by the bridge view
    int ready_fd;         // Port::rx_ready_fd, -1: none
    ByteBucket* policer;  // ingress policing of this port on the polling PMD; null: none
  };
  // How one PMD finds work among its rx queues. With a few queues it tries each one every
  // iteration; with more than kDirectPollMax that have a ready fd, those are read only when
  // epoll says they are readable, so 2,000 idle veths cost one syscall per iteration, not 2,000.
  struct PmdQueues {
    std::vector<Rxq> all;
    std::vector<uint32_t> always;  // indices into `all` polled every iteration
    bool by_readiness = false;     // the rest are in the PMD's epoll set
  };
  struct Snapshot {
    uint64_t generation = 0;
    // One set per (port with limits, PMD polling it): see storm_control.hpp for why.
    std::vector<std::unique_ptr<StormBuckets>> storms;
    // Ingress and egress rate limits, one bucket per (port, direction, PMD) (rate_limit.hpp).
    std::vector<std::unique_ptr<ByteBucket>> rate_buckets;
    // By PMD, by tx slot: the egress bucket of that slot's port; empty when no port has one.
    std::vector<std::vector<ByteBucket*>> egress_by_pmd;
    std::vector<std::unique_ptr<BridgeView>> bridges;
    std::vector<PmdQueues> rx_by_pmd;
    // Polled before the PMD's rx queues: the stages that fill them (rx_stage.hpp).
    std::vector<std::vector<std::shared_ptr<RxStage>>> stages_by_pmd;
    // By tx slot: the bridges' ports, then the egress ports of their encapsulating ports that
    // are on no bridge (tx_batch.hpp).
    std::vector<Port*> tx_ports;
    // By tx slot, what its sent frames are mirrored to; empty when no bridge has mirrors.
    std::vector<SlotMirror> slot_mirrors;
  };
  struct BridgeState {
    std::shared_ptr<Fdb> fdb;
    std::map<std::string, PortIndex> index_of;
    std::vector<bool> used;
    std::map<std::string, VlanPolicy> vlan_of;
    std::shared_ptr<StpHooks> stp;
    std::shared_ptr<NeighbourTables> neighbours;
    struct Mirror {
      std::shared_ptr<MirrorCounters> counters;
      std::shared_ptr<PcapSink> sink;
    };
    std::vector<std::pair<std::string, Mirror>> mirrors;  // in configuration order
  };
  struct Pmd {
    unsigned index = 0;
    int core = -1;
    std::thread thread;
    TxBatches tx;
    uint64_t generation = ~uint64_t{0};
    std::atomic<uint64_t> packets{0}, busy{0}, idle{0}, iterations{0}, slept{0}, wakeups{0};
    int wake_fd = -1;  // eventfd: apply() and stop() wake a sleeping PMD
    int epoll_fd = -1;  // the ready fds of the current snapshot's queues (by_readiness only)
    uint64_t epoll_generation = ~uint64_t{0};
  };

  uint32_t iterate(Pmd& pmd, const Snapshot& s);
  // The bridge's mirrors into its view, and the tx slots they mirror or output to.
  static void build_mirrors(const BridgeConfig& bc, BridgeState& st, BridgeView& view,
                            const std::vector<std::pair<PortIndex, const PortConfig*>>& placed,
                            std::vector<std::pair<uint32_t, SlotMirror>>& slot_mirrors);
  // Re-registers the snapshot's ready fds in the PMD's epoll set (on a configuration change).
  void rebuild_epoll(Pmd& pmd, const PmdQueues& queues);
  void pmd_main(Pmd& pmd);
  // Goes offline for RCU and sleeps until a port of this PMD has work or the configuration
  // changes; queues without an fd are looked at again after `nap_ns`. Returns TSC cycles.
  uint64_t sleep_until_work(Pmd& pmd, uint64_t nap_ns);
  void wake_all();

  const Clock* clock_;
  SteadyClock steady_;
  rte_mempool* pool_;
  std::vector<std::unique_ptr<Pmd>> pmds_;
  int pmd_nice_;
  uint32_t multicast_budget_;
  rte_rcu_qsbr* qsbr_ = nullptr;
  std::atomic<Snapshot*> current_;
  std::atomic<bool> running_{false};
  std::atomic<bool> pmd_sleep_;
  std::atomic<uint64_t> quiet_cycles_;
  mutable std::mutex control_;  // apply() and the views below
  std::map<std::string, BridgeState> states_;
  uint64_t generation_ = 0;
};

}  // namespace lvs::sw
