#pragma once
// A Runtime for unit tests: canned port states and FDB rows, records actions.
#include <map>
#include <string>
#include <vector>

#include "ctl/runtime.hpp"

namespace lvs::ctl::test {

class FakeRuntime final : public Runtime {
 public:
  std::map<std::string, InterfaceState> states;
  std::map<std::string, std::vector<FdbRow>> fdb;
  std::vector<std::string> flushed;
  std::map<std::string, RstpBridgeRow> rstp;  // rstp_show by bridge
  std::vector<std::string> bpdu_guard_cleared;

  InterfaceState interface_state(const std::string&, const std::string& port) const override {
    auto it = states.find(port);
    return it == states.end() ? InterfaceState{} : it->second;
  }
  std::vector<FdbRow> fdb_show(const std::string& bridge) const override {
    auto it = fdb.find(bridge);
    return it == fdb.end() ? std::vector<FdbRow>{} : it->second;
  }
  FdbTableStats fdb_stats(const std::string& bridge) const override {
    FdbTableStats s;
    s.entries = fdb_show(bridge).size();
    s.max_entries = 8192;
    s.learned = 7;
    return s;
  }
  size_t fdb_flush(const std::string& bridge) override {
    flushed.push_back(bridge);
    return 0;
  }
  bool fdb_del(const std::string&, int, const std::string&) override { return true; }
  std::vector<PmdThreadStats> pmd_stats() const override {
    PmdThreadStats s;
    s.packets = 100;
    s.busy_cycles = 5000;
    s.idle_cycles = 10000;
    s.sleep_cycles = 5000;
    s.wakeups = 7;
    s.rx_queues = {"br0/p1:0"};
    return {s};
  }
  std::optional<RstpBridgeRow> rstp_show(const std::string& bridge) const override {
    auto it = rstp.find(bridge);
    return it == rstp.end() ? std::nullopt : std::optional<RstpBridgeRow>(it->second);
  }
  bool rstp_clear_bpdu_guard(const std::string& bridge, const std::string& port) override {
    bpdu_guard_cleared.push_back(bridge + "/" + port);
    return true;
  }
};

}  // namespace lvs::ctl::test
