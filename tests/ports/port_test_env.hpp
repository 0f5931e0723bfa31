#pragma once
// Shared setup of the kernel-port integration tests: EAL, the two pools, and a one-bridge
// Datapath with one PMD thread over the given ports.
#include <gtest/gtest.h>
#include <unistd.h>

#include <memory>
#include <string>
#include <vector>

#include "dpdk/mempool.hpp"
#include "ports/kernel_frame.hpp"
#include "switch/datapath.hpp"
#include "tests/ports/netns_topology.hpp"

namespace lvs::ports::testing {

struct Pools {
  rte_mempool* frames = nullptr;   // kLargeDataRoom: 64 KiB GSO frames in one mbuf
  rte_mempool* headers = nullptr;  // the datapath's flood header copies
  rte_mempool* small = nullptr;    // default 2 KiB mbufs: large frames become chains
};

inline const Pools& test_pools() {
  static const Pools pools = [] {
    Pools p;
    if (!init_test_eal()) return p;
    p.frames = dpdk::create_pool(
        {.name = "lvt_frames", .mbufs = 1023, .cache = 32, .data_room = kLargeDataRoom});
    p.headers = dpdk::create_pool({.name = "lvt_headers", .mbufs = 4095, .cache = 64});
    p.small = dpdk::create_pool({.name = "lvt_small", .mbufs = 8191, .cache = 64});
    return p;
  }();
  return pools;
}

#define LVT_REQUIRE_ROOT_AND_POOLS()                                       \
  do {                                                                     \
    if (geteuid() != 0) GTEST_SKIP() << "needs root (network namespaces)"; \
    ASSERT_NE(test_pools().frames, nullptr) << "EAL or mempool failed";    \
  } while (0)

// One bridge "br" over `ports` (VLAN policy: `policies[i]` when given, else trunk, all VLANs),
// one PMD thread running.
class RunningBridge {
 public:
  explicit RunningBridge(const std::vector<std::shared_ptr<sw::Port>>& ports,
                         const std::vector<sw::VlanPolicy>& policies = {})
      : dp_({.pmd_threads = 1, .pool = test_pools().headers}) {
    sw::DatapathConfig cfg;
    sw::BridgeConfig br;
    br.name = "br";
    for (size_t i = 0; i < ports.size(); ++i) {
      br.ports.push_back({.name = ports[i]->name(), .port = ports[i]});
      if (i < policies.size()) br.ports.back().vlan = policies[i];
    }
    cfg.bridges.push_back(br);
    error_ = dp_.apply(cfg).value_or("");
    if (error_.empty()) dp_.start();
  }
  ~RunningBridge() { dp_.stop(); }
  const std::string& error() const { return error_; }
  sw::Datapath& datapath() { return dp_; }

 private:
  sw::Datapath dp_;
  std::string error_;
};

}  // namespace lvs::ports::testing
