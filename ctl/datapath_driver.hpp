#pragma once
// Turns a committed Config into the running switch: opens and closes ports through the
// PortFactory, builds a lvs::sw::DatapathConfig and publishes it, keeps static MACs installed.
// Ports that cannot be opened (kind not available, device or kernel interface missing) stay out
// of the datapath and are reported through interface_state(). Implements Runtime for vsctl.
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>

#include "ctl/big_tcp_sync.hpp"
#include "ctl/config.hpp"
#include "ctl/mirror_outputs.hpp"
#include "ctl/offload/offload_sync.hpp"
#include "ctl/port_factory.hpp"
#include "ctl/rstp_driver.hpp"
#include "ctl/runtime.hpp"
#include "switch/datapath.hpp"

namespace lvs::ctl {

// The Interface statistics column of a port's counters: rx/tx packets and bytes, drops and
// drop_<reason> for every sw::DropReason.
std::map<std::string, uint64_t> port_statistics(const sw::PortCounters& counters);

class DatapathDriver final : public Runtime {
 public:
  DatapathDriver(sw::Datapath& datapath, PortFactory factory, PortContext context)
      : dp_(datapath),
        factory_(std::move(factory)),
        ctx_(context),
        rstp_(datapath, context.pool),
        mirrors_(datapath.pmd_count()),
        offload_(datapath) {}
  ~DatapathDriver() override;

  // Brings the switch to `config`. Errors only when the datapath refuses the snapshot.
  Status commit(const Config& config);
  // Drops every port (before the EAL goes away).
  void shutdown();

  InterfaceState interface_state(const std::string& bridge, const std::string& port) const override;
  std::vector<FdbRow> fdb_show(const std::string& bridge) const override;
  FdbTableStats fdb_stats(const std::string& bridge) const override;
  size_t fdb_flush(const std::string& bridge) override;
  bool fdb_del(const std::string& bridge, int vlan, const std::string& mac) override;
  std::vector<PmdThreadStats> pmd_stats() const override;
  Result<nlohmann::json> trace(const std::string& bridge, const std::string& port,
                               const std::vector<uint8_t>& frame) const override;
  std::optional<RstpBridgeRow> rstp_show(const std::string& bridge) const override;
  bool rstp_clear_bpdu_guard(const std::string& bridge, const std::string& port) override;
  std::vector<MirrorCounts> mirror_stats(const std::string& bridge) const override;
  OffloadStatus offload_status() const override { return offload_.status(); }
  // Kernel offload's periodic sync with the FDBs (daemon loop, every 100 ms).
  void offload_tick() { offload_.tick(); }
  // BIG TCP again when the default routes changed (daemon loop, every second).
  void big_tcp_tick() {
    if (big_tcp_.uplinks_changed()) big_tcp_.commit(config_, open_ports());
  }
  // A PMD learnt a station move: the daemon loop waits on this fd and calls offload_moves().
  int offload_event_fd() const { return offload_.event_fd(); }
  void offload_moves() { offload_.moves(); }
  // cluster/show comes from the daemon's ClusterDriver (ctl/cluster/cluster_driver.hpp).
  void set_cluster_show(std::function<nlohmann::json()> show) { cluster_show_ = std::move(show); }
  Result<nlohmann::json> cluster_show() const override {
    if (!cluster_show_) return Runtime::cluster_show();
    return cluster_show_();
  }

  // ARP / ND suppression (switch/neighbour_suppress.hpp): replaces the bridge's neighbour table
  // whole; runtime only, not in the database. Safe from any thread (the datapath serialises it).
  // kErrNotFound for a bridge the datapath does not run, kErrInvalid for a bad entry.
  Status set_neighbours(const std::string& bridge_name, std::vector<sw::NeighbourEntry> entries);

  // vsctl capture: copies what `port` receives and/or sends to `fd` as pcap, `count` frames
  // (0: until the reader goes away), after `preamble` (the reply line). Takes `fd` (closed on
  // an error, which names what is wrong).
  Status start_capture(const std::string& port, CaptureDirection dir, uint64_t count, int fd,
                       const std::string& preamble);
  // Takes the captures that ended out of the datapath (called by the daemon's loop).
  void reap_captures();

 private:
  // Applies the current captures (start_capture, reap_captures), the kernel offload around it.
  std::optional<std::string> apply_captures();
  // The attached ports by name (what the spanning tree and the kernel offload attach to).
  std::map<std::string, std::shared_ptr<sw::Port>> open_ports() const;
  struct Live {
    std::string signature;  // type + options: a change reopens the port
    std::shared_ptr<sw::Port> port;
    std::string underlay;            // the port it leaves by (port kind's underlay_port), or ""
    std::optional<int> mtu_applied;  // the mtu_request last applied (a change applies it again)
    std::string mtu_error;           // why it could not be: shown as the interface's error
  };
  sw::DatapathConfig build(const Config& config, const std::set<std::string>& skip) const;
  void install_static(const BridgeConfig& bridge);
  void apply_mtu(const PortConfig& port, Live& live);

  sw::Datapath& dp_;
  PortFactory factory_;
  PortContext ctx_;
  std::map<std::string, Live> live_;
  std::map<std::string, std::string> errors_;
  Config config_;
  RstpDriver rstp_;  // the spanning tree of bridges with rstp_enable (rstp_driver.hpp)
  MirrorOutputs mirrors_;
  OffloadSync offload_;  // learnt unicast carried by the kernel (ctl/offload/)
  BigTcpSync big_tcp_;   // BIG TCP on the system ports' veths (ctl/big_tcp_sync.hpp)
  std::function<nlohmann::json()> cluster_show_;
  bool committed_ = false;  // after the first commit, a pcap file that cannot be made is an error
};

}  // namespace lvs::ctl
