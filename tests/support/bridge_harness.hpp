#pragma once
// A bridge of ring ports driven from the test thread: inject frames on one port, run one PMD
// iteration, collect what every other port sent.
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "dpdk/mempool.hpp"
#include "ports/ring_port.hpp"
#include "switch/datapath.hpp"
#include "tests/support/frames.hpp"

namespace lvs::test {

class BridgeHarness {
 public:
  struct PortDef {
    std::string name;
    sw::VlanPolicy vlan;
    bool admin_up = true;
    uint8_t split_horizon_group = 0;
    sw::StormLimits storm{};
    bool protected_port = false;
  };

  explicit BridgeHarness(std::vector<PortDef> ports, sw::FdbSettings fdb = {},
                         bool forward_bpdu = false, unsigned pmds = 1)
      : datapath_({.pmd_threads = pmds, .pmd_cores = {}, .pool = test_pool(), .clock = &clock_}) {
    in_use_before_ = dpdk::pool_in_use(test_pool());
    config_.bridges.push_back(
        {.name = "br0", .fdb = fdb, .forward_bpdu = forward_bpdu, .ports = {}});
    for (auto& p : ports) add_port(p, false);
    apply();
  }
  ~BridgeHarness() {
    datapath_.stop();
    for (auto& [n, p] : ports_) p->drain();
  }

  void add_port(const PortDef& def, bool apply_now = true) {
    auto rp = std::make_shared<ports::RingPort>(def.name);
    ports_[def.name] = rp;
    config_.bridges[0].ports.push_back(
        {def.name, rp, def.vlan, def.admin_up, def.split_horizon_group, def.storm, nullptr,
         def.protected_port});
    if (apply_now) apply();
  }
  void remove_port(const std::string& name) {
    auto& ps = config_.bridges[0].ports;
    std::erase_if(ps, [&](const sw::PortConfig& p) { return p.name == name; });
    apply();
    ports_[name]->drain();
  }
  sw::DatapathConfig& config() { return config_; }
  void apply() {
    auto err = datapath_.apply(config_);
    if (err) throw std::runtime_error(*err);
  }

  // Injects one frame on `port` and runs one PMD iteration.
  void send(const std::string& port, const FrameSpec& spec) { send_raw(port, frame_bytes(spec)); }
  void send_raw(const std::string& port, const std::vector<uint8_t>& bytes) {
    rte_mbuf* m = make_raw(test_pool(), bytes);
    ports_.at(port)->inject(&m, 1);
    for (unsigned i = 0; i < datapath_.pmd_count(); ++i) datapath_.poll_once(i);
  }
  // Everything `port` transmitted since the last call, decoded; frees the mbufs.
  std::vector<Seen> received(const std::string& port, uint8_t fill = 0xab) {
    std::vector<Seen> out;
    rte_mbuf* pkts[64];
    unsigned n;
    while ((n = ports_.at(port)->collect(pkts, 64)) > 0) {
      for (unsigned i = 0; i < n; ++i) {
        out.push_back(decode(pkts[i], fill));
        rte_pktmbuf_free(pkts[i]);
      }
    }
    return out;
  }
  // Drains every port; returns {port -> frames}.
  std::map<std::string, std::vector<Seen>> received_all() {
    std::map<std::string, std::vector<Seen>> out;
    for (auto& [name, p] : ports_) out[name] = received(name);
    return out;
  }

  sw::PortCounters counters(const std::string& port) { return ports_.at(port)->stats().read(); }
  uint64_t drops(const std::string& port, sw::DropReason r) {
    return counters(port).drops[static_cast<size_t>(r)];
  }
  sw::Fdb& fdb() { return *datapath_.fdb("br0"); }
  sw::PortIndex index(const std::string& port) { return *datapath_.port_index("br0", port); }
  sw::Datapath& datapath() { return datapath_; }
  sw::ManualClock& clock() { return clock_; }
  ports::RingPort& port(const std::string& name) { return *ports_.at(name); }
  // Mbufs taken from the pool since the harness was built (0 once everything is returned).
  long leaked() const {
    return static_cast<long>(dpdk::pool_in_use(test_pool())) - static_cast<long>(in_use_before_);
  }

 private:
  sw::ManualClock clock_;
  sw::Datapath datapath_;
  sw::DatapathConfig config_;
  std::map<std::string, std::shared_ptr<ports::RingPort>> ports_;
  unsigned in_use_before_ = 0;
};

}  // namespace lvs::test
