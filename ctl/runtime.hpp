#pragma once
// What the command engine may ask of the running switch: port health and counters, FDB views,
// PMD statistics. The daemon implements it over the Datapath (datapath_driver.hpp); tests use
// a fake. The engine never touches datapath state in any other way, and this header names no
// DPDK or datapath type, so that the engine (and vsctl) build and run without DPDK.
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "ctl/error.hpp"

namespace lvs::ctl {

struct FdbRow {
  std::string port;
  int vlan = 0;
  std::string mac;
  uint64_t age_s = 0;
  bool is_static = false;
};

// A port's link as its kind reports it (sw::PortStatus, without the datapath).
struct LinkStatus {
  bool link_up = true;
  uint32_t mtu = 1500;
  std::string mac;  // "aa:bb:..." when the kind has one
};

struct InterfaceState {
  std::string error;  // empty when the port is attached and healthy
  bool attached = false;
  LinkStatus status;
  // The Interface statistics column: rx/tx packets and bytes, drops, drop_<reason> for every
  // drop reason (port_statistics() in datapath_driver.hpp makes it from the port's counters).
  std::map<std::string, uint64_t> statistics;
};

// One bridge's MAC table (sw::FdbStats).
struct FdbTableStats {
  uint64_t entries = 0, max_entries = 0;
  uint64_t learned = 0, moved = 0, aged = 0, evicted = 0;
  uint64_t learn_deferred = 0;  // writer busy: learnt on a later frame
};

// One PMD thread's cycles and queues (sw::PmdStats).
struct PmdThreadStats {
  unsigned index = 0;
  int core = -1;  // -1: not pinned
  uint64_t packets = 0, iterations = 0, wakeups = 0;
  uint64_t busy_cycles = 0, idle_cycles = 0, sleep_cycles = 0;  // TSC cycles
  std::vector<std::string> rx_queues;                           // "bridge/port:queue"
};

// A bridge's spanning tree as the protocol machine sees it (rstp/show, Bridge rstp_status).
struct RstpPortRow {
  std::string name;
  std::string role, state;  // "root", "designated", ...; "discarding", "learning", "forwarding"
  std::string port_id;      // "8001": priority and number
  uint32_t path_cost = 0;
  bool edge = false, stp_peer = false, bpdu_guard_tripped = false, root_inconsistent = false;
  std::string designated_bridge;
  uint64_t rx_bpdus = 0, tx_bpdus = 0, rx_tcn = 0, tx_tcn = 0, forward_transitions = 0;
};
struct RstpBridgeRow {
  std::string bridge_id, root_id;  // "8000.0242ac110001"
  uint32_t root_path_cost = 0;
  std::string root_port;  // empty: this bridge is the root
  uint16_t max_age = 0, hello_time = 0, forward_delay = 0;
  uint64_t topology_changes = 0;
  std::vector<RstpPortRow> ports;
};
// One mirror's counters (sw::MirrorStats): copies handed to its output, copies it dropped.
struct MirrorCounts {
  std::string name;
  uint64_t packets = 0, drops = 0;
};

// One decision the kernel carries (ctl/offload/): frames to `mac` on `vlan` arriving on
// `in_port` go to `out_port` (`action`: "", "pop_vlan", "push_vlan:N"); idle_ms -1: never used.
struct OffloadRow {
  std::string bridge, in_port, out_port, mac, action;
  int vlan = 0;
  bool tagged_in = false;
  uint64_t packets = 0, bytes = 0;
  int64_t idle_ms = -1;
};
struct OffloadStatus {
  std::string state = "unavailable: no running switch";  // "on", "off", "unavailable: why"
  std::vector<std::string> ports;                         // ports with the kernel programs
  std::vector<OffloadRow> rows;
};

class Runtime {
 public:
  virtual ~Runtime() = default;
  virtual InterfaceState interface_state(const std::string& bridge,
                                         const std::string& port) const = 0;
  // Empty when the bridge has no table (yet).
  virtual std::vector<FdbRow> fdb_show(const std::string& bridge) const = 0;
  virtual FdbTableStats fdb_stats(const std::string& bridge) const = 0;
  // Removes learnt entries (static ones stay). Returns how many went.
  virtual size_t fdb_flush(const std::string& bridge) = 0;
  // Removes one learnt entry; false when there was none.
  virtual bool fdb_del(const std::string& bridge, int vlan, const std::string& mac) = 0;
  virtual std::vector<PmdThreadStats> pmd_stats() const = 0;
  // `vsctl trace`: `frame` arriving on `port` of `bridge`, through the running pipeline without
  // side effects; the JSON of ctl/trace_json.hpp, or an error naming what is missing.
  virtual Result<nlohmann::json> trace(const std::string& bridge, const std::string& port,
                                       const std::vector<uint8_t>& frame) const {
    (void)bridge, (void)port, (void)frame;
    return make_error(kErrNotFound, "trace: no running switch to trace through");
  }
  // The bridge's spanning tree; nullopt when RSTP is off on it (rstp_config.hpp).
  virtual std::optional<RstpBridgeRow> rstp_show(const std::string& bridge) const {
    (void)bridge;
    return std::nullopt;
  }
  // Re-enables a port that BPDU guard disabled; false when it was not.
  virtual bool rstp_clear_bpdu_guard(const std::string& bridge, const std::string& port) {
    (void)bridge;
    (void)port;
    return false;
  }
  // dpif/offload-show: what the kernel carries for the switch.
  virtual OffloadStatus offload_status() const { return {}; }
  // The bridge's mirrors and captures running now.
  virtual std::vector<MirrorCounts> mirror_stats(const std::string& bridge) const {
    (void)bridge;
    return {};
  }
  // cluster/show: the cluster as this switch sees it (ctl/cluster/cluster_driver.hpp).
  virtual Result<nlohmann::json> cluster_show() const {
    return make_error(kErrNotFound, "cluster/show: no cluster is running in this switch");
  }
};

}  // namespace lvs::ctl
