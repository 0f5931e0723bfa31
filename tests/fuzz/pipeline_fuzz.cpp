// Frames of any shape through a bridge of ring ports with every VLAN mode, one PMD pass per
// input. Invariants: no crash or sanitizer report, and every mbuf comes back to its pool.
// Input: [port byte][len byte][len bytes of frame]...
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "dpdk/eal.hpp"
#include "tests/support/bridge_harness.hpp"

namespace {

lvs::test::BridgeHarness* bridge() {
  static lvs::test::BridgeHarness* br = [] {
    using lvs::sw::VlanMode;
    using lvs::sw::VlanPolicy;
    return new lvs::test::BridgeHarness(
        {{"access10", VlanPolicy::access(10)},
         {"trunk_all", VlanPolicy::trunk({})},
         {"trunk10_20", VlanPolicy::trunk({10, 20})},
         {"native_t", VlanPolicy::native(VlanMode::kNativeTagged, 10, {20})},
         {"native_u", VlanPolicy::native(VlanMode::kNativeUntagged, 20, {})},
         {"tun1", {}, true, 1},
         {"tun2", {}, true, 1},
         // Storm control: broadcasts nearly all over the rate (the clock never moves), no
         // multicast at all, unknown unicast limited.
         {"stormy",
          {},
          true,
          0,
          {.broadcast_pps = 10, .multicast_pps = 0, .unknown_unicast_pps = 1000}}},
        {.max_entries = 64, .aging_s = 15});
  }();
  return br;
}

const char* const kPorts[] = {"access10", "trunk_all", "trunk10_20", "native_t",
                              "native_u", "tun1",      "tun2",       "stormy"};

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  lvs::dpdk::EalOptions o;
  o.program = "pipeline_fuzz";
  o.huge = lvs::dpdk::EalOptions::Huge::kOff;
  o.no_huge_memory_mb = 256;
  o.log_level = "*:error";
  if (!lvs::dpdk::init_eal(o).ok) std::abort();
  bridge();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto* br = bridge();
  size_t i = 0;
  while (i + 2 <= size) {
    const char* port = kPorts[data[i] % std::size(kPorts)];
    const size_t len = std::min<size_t>(data[i + 1], size - i - 2);
    std::vector<uint8_t> frame(data + i + 2, data + i + 2 + len);
    br->send_raw(port, frame);
    i += 2 + len;
  }
  br->received_all();
  if (br->leaked() != 0) std::abort();  // an mbuf went missing (or was double-freed)
  return 0;
}
