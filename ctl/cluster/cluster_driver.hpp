#pragma once
// The daemon's side of the cluster (issue 17): runs a ClusterStore (cluster_view.hpp) while
// Open_vSwitch other_config:cluster-store is set, restarts it when the cluster settings change,
// publishes what this host has (LocalState: itself and the stations on its cluster bridges'
// non-tunnel ports) and applies every new ClusterView through the reconciler
// (cluster_reconciler.hpp): tunnel ports as ordinary ports of the configuration (one vsctl
// transaction through the Service, so they are in the database and `vsctl show`), remote MACs
// as static FDB entries (runtime only) and remote addresses in the neighbour-suppression tables.
//
// Threads: the store calls back on its own thread; that only stores the view and wakes the
// daemon's loop (event_fd). Everything else runs on the daemon's thread, in poll().
// A view that never reached etcd (revision 0, e.g. a restart while etcd is down) changes
// nothing: the tunnels found in the database keep forwarding until etcd answers.
#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "ctl/cluster/cluster_config.hpp"
#include "ctl/cluster/cluster_reconciler.hpp"
#include "ctl/cluster/cluster_view.hpp"
#include "ctl/config.hpp"
#include "ctl/runtime.hpp"
#include "switch/datapath.hpp"

namespace lvs::ctl {
class Service;
}

namespace lvs::ctl::cluster {

// The reconciler's neighbour entries as the datapath takes them (unparsable ones left out).
std::vector<sw::NeighbourEntry> to_neighbour_entries(const std::vector<NeighbourSpec>& entries);

class ClusterDriver {
 public:
  // Replaces bridge `bridge`'s neighbour table (the datapath driver's set_neighbours).
  using NeighbourSink =
      std::function<void(const std::string& bridge, const std::vector<NeighbourSpec>& entries)>;

  // `state_dir`: where the store remembers the subnet it claimed (the database's directory).
  ClusterDriver(sw::Datapath& datapath, Runtime& runtime, NeighbourSink neighbours,
                std::string state_dir);
  ~ClusterDriver();
  ClusterDriver(const ClusterDriver&) = delete;
  ClusterDriver& operator=(const ClusterDriver&) = delete;

  // Readable when the store has news (a view, a claimed subnet): poll() then.
  int event_fd() const { return event_fd_; }
  // After every committed configuration (also the cluster's own transactions): notes what
  // changed; the work happens in poll().
  void committed(const Config& config);
  // On the daemon's thread, every loop (at most poll_interval() apart while a cluster runs).
  void poll(Service& service);
  std::chrono::milliseconds poll_interval() const;
  // cluster/show's JSON.
  nlohmann::json show() const;
  void stop();

 private:
  struct Published {
    LocalState state;
    bool valid = false;
  };
  void restart_store(const ClusterOptions& options);
  void stop_store();
  void signal();
  void drain();
  LocalState local_state(const Config& config) const;
  void apply_view(Service& service, const ClusterView& view);
  void apply_runtime(const Desired& desired, bool reinstall);
  void write_subnet(Service& service, const std::string& subnet);

  sw::Datapath& dp_;
  Runtime& runtime_;
  NeighbourSink neighbours_;
  std::string state_dir_;
  int event_fd_ = -1;

  std::optional<ClusterOptions> options_;  // as last committed
  Config config_;                          // the last committed configuration
  bool config_dirty_ = true;
  std::string host_id_;
  std::unique_ptr<ClusterStore> store_;
  std::string store_key_;  // the settings the running store was made with

  mutable std::mutex mu_;  // what the store's and the claim's threads hand over
  ClusterView latest_;
  bool view_dirty_ = false;
  std::string claimed_;  // the subnet claim_subnet returned
  std::string claim_error_;
  std::thread claimer_;
  std::atomic<bool> claiming_{false};

  ClusterView applied_;    // the newest view the store gave
  ClusterView effective_;  // what the last apply_view used (held members included)
  // After etcd was away, members missing from the view are kept until then (their leases may
  // all have expired at once and are being granted again), so that nothing flaps.
  std::chrono::steady_clock::time_point hold_until_{};
  bool holding_ = false;
  Desired desired_;      // what it asked for
  std::set<FdbSpec> fdb_installed_;
  std::map<std::string, std::set<NeighbourSpec>> neighbours_installed_;
  Published published_;
  std::chrono::steady_clock::time_point next_reinstall_{};
  std::map<std::string, std::chrono::steady_clock::time_point> first_seen_;  // lease age
  std::map<std::string, int64_t> member_revision_;
  std::string last_error_;
};

}  // namespace lvs::ctl::cluster
