#pragma once
// Keeps the kernel's offload maps (ports/offload/) equal to plan_offload() of the running
// switch: on every commit (everything is withdrawn first, so no frame is carried by a decision
// the new configuration changes) and every tick (100 ms) from the bridges' FDBs. A tick also
// brings back what the kernel did: per-entry packets/bytes (added to port statistics, kept for
// entries that went) and the source stations' last-seen times, which refresh their FDB ages.
// A station move learnt by a PMD (from a port the kernel does not serve) raises the FDBs' move
// signal (event_fd()): the daemon calls moves() and the entries go at once, not at the tick.
// The kernel itself stops steering to a station it sees arrive on another served port
// (offload.bpf.c) and the sync re-plans from the FDB; a station the kernel marked moved while
// the FDB kept it (a static entry) is put back after two read-backs.
// Off with Open_vSwitch other_config:kernel-offload=false; where the kernel or build cannot,
// one log line and everything stays in userspace.
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "ctl/config.hpp"
#include "ctl/offload/offload_plan.hpp"
#include "ctl/runtime.hpp"
#include "switch/datapath.hpp"
#include "switch/fdb_move_signal.hpp"
#include "tunnels/kernel_vxlan_device.hpp"

namespace lvs::ports {
class OffloadKernel;
}

namespace lvs::ctl {

class OffloadSync {
 public:
  explicit OffloadSync(sw::Datapath& dp);
  ~OffloadSync();

  // Before the datapath changes: withdraws every flow (frames go to the switch meanwhile).
  void prepare();
  // After it changed: attaches to the eligible ports among `open`, detaches from the others.
  void commit(const Config& config, const std::map<std::string, std::shared_ptr<sw::Port>>& open);
  void tick();
  int event_fd() const { return moves_.fd(); }
  // After event_fd() was readable (or any time): re-plans now if a learn moved a station.
  void moves();
  // Bridges with a live capture (`vsctl capture`): kept in userspace like mirrored bridges;
  // takes effect at the next commit().
  void set_captured(std::set<std::string> bridges) { captured_ = std::move(bridges); }
  // Detaches everything (clean stop, before the ports close).
  void stop();

  OffloadStatus status() const;
  // Adds what the kernel carried for `port` to its rx/tx counters.
  void add_counters(const std::string& port, std::map<std::string, uint64_t>& stats) const;

 private:
  // Devices whose tail call is ours. Weak: a device goes with its last port at once (its
  // tail call with it), so a port reopened on UDP sockets can have its dst_port in the same commit.
  std::set<std::weak_ptr<const tunnels::KernelVxlanDevice>,
           std::owner_less<std::weak_ptr<const tunnels::KernelVxlanDevice>>>
      tail_calls_;
  struct Attached {
    const sw::Port* port;  // identity only: a reopened port is attached again
    int ifindex, fd;
    std::string bridge;
    // A VXLAN port on the kernel vxlan device: ifindex is its pseudo-ifindex (offload_maps.h)
    // and the device's tail call is the attachment (no filter, no socket of its own).
    std::weak_ptr<const tunnels::KernelVxlanDevice> device;
    bool tunnel = false;
  };
  struct Installed {
    OffloadFlow flow;
    std::string bridge;
    uint64_t packets = 0, bytes = 0, last_used_ns = 0;
  };
  struct Counts {
    uint64_t rx_packets = 0, rx_bytes = 0, tx_packets = 0, tx_bytes = 0;
  };
  void withdraw(const OffloadKey& key);
  void read_back(uint64_t now_ms, uint64_t now_ns);
  // Makes the kernel's maps the plan of the FDBs now.
  void resync(uint64_t now_ms);
  void signal_moves(bool on);
  // `stored` with the kernel's current counters.
  Installed live(const OffloadKey& key, const Installed& stored) const;
  void retire_counts(const Installed& in);
  void detach_all();

  sw::Datapath& dp_;
  std::unique_ptr<ports::OffloadKernel> kernel_;
  std::string unavailable_;  // why the kernel cannot (logged once)
  bool enabled_ = false;
  Config config_;
  std::map<std::string, Attached> attached_;               // by port name
  std::map<std::string, std::vector<OffloadPort>> ports_;  // eligible, by bridge
  // Each bridge's number in the kernel's station keys (its own L2 domain there), stable while
  // it is configured. The maps are this daemon's own (never pinned): a restarted one numbers
  // afresh and a killed one's entries went with its programs.
  std::map<std::string, OffloadBridge> bridge_ids_;
  std::map<const sw::Port*, bool> reconciled_;             // stale filters looked for
  std::map<OffloadKey, Installed> flows_;
  std::map<OffloadStationKey, OffloadStation> stations_;
  std::map<OffloadStationKey, uint64_t> station_seen_ns_;  // last-seen time given to the FDB
  std::set<OffloadStationKey> marked_moved_;  // seen moved at the last read-back, FDB unchanged
  std::map<OffloadPortTag, OffloadPortVlan> port_vlans_;
  sw::FdbMoveSignal moves_;
  std::map<std::string, Counts> retired_;           // counts of entries that went, by port
  std::set<std::string> too_big_;                   // bridges over kOffloadMaxPorts (logged)
  std::set<std::string> captured_;                  // bridges with a live capture
  uint64_t ticks_ = 0;
};

}  // namespace lvs::ctl
