#pragma once
// Runs the spanning tree of every bridge with rstp_enable=true (the protocol machine of
// switch/rstp/, one per bridge) on its own thread, beside the datapath:
// - every 5 ms it takes the BPDUs the PMDs queued (switch/stp_hooks.hpp), feeds them to the
//   machine, ticks it, and carries out what it decided: port states into the datapath's state
//   bytes, FDB flushes, BPDUs sent through the ports' tx (Port::send, from the control side);
// - every 50 ms it reads each port's link (Port::status) and tells the machine of changes;
// - commit() (DatapathDriver, after each published snapshot) adds, changes and removes bridges
//   and ports; the thread runs only while some bridge has RSTP on.
// Port numbers on the wire are the datapath's port index + 1.
#include <rte_mempool.h>

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "ctl/config.hpp"
#include "ctl/runtime.hpp"
#include "switch/datapath.hpp"
#include "switch/rstp/rstp_bridge.hpp"

namespace lvs::ctl {

class RstpDriver {
 public:
  RstpDriver(sw::Datapath& datapath, rte_mempool* pool) : dp_(datapath), pool_(pool) {}
  ~RstpDriver() { stop(); }
  RstpDriver(const RstpDriver&) = delete;
  RstpDriver& operator=(const RstpDriver&) = delete;

  // `ports`: the open ports by name. Call after the datapath has the configuration.
  void commit(const Config& config, const std::map<std::string, std::shared_ptr<sw::Port>>& ports);
  void stop();  // before the ports close

  std::optional<RstpBridgeRow> show(const std::string& bridge) const;
  bool clear_bpdu_guard(const std::string& bridge, const std::string& port);
  // "BPDU guard: ..." while BPDU guard keeps the port disabled, else empty.
  std::string port_error(const std::string& port) const;

 private:
  struct PortEntry {
    std::string name;
    std::shared_ptr<sw::Port> port;
    sw::PortIndex index = 0;
    std::array<uint8_t, 6> mac{};
    bool admin_up = true;
    bool link_up = false;
  };
  struct BridgeEntry {
    std::unique_ptr<sw::rstp::Bridge> machine;
    std::shared_ptr<sw::StpHooks> hooks;
    std::shared_ptr<sw::Fdb> fdb;
    std::array<uint8_t, 6> address{};
    std::map<uint16_t, PortEntry> ports;  // by number
  };
  void run();
  void step(uint64_t now_ms, bool poll_links);
  void carry_out(BridgeEntry& b);
  static uint64_t now_ms();

  sw::Datapath& dp_;
  rte_mempool* pool_;
  mutable std::mutex mu_;
  std::map<std::string, BridgeEntry> bridges_;
  std::thread thread_;
  std::atomic<bool> running_{false};
};

}  // namespace lvs::ctl
