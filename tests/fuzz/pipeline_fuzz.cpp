// Frames of any shape through two identical bridges of ring ports with every VLAN mode: one
// gets one frame per PMD pass, the other the same frames in bursts (consecutive frames for the
// same port, up to 32, in one pass). Invariants: no crash or sanitizer report, every mbuf comes
// back to its pool, and both bridges send the same bytes out of every port in the same order
// (the pipeline's semantics are per frame, whatever the burst). Time passes too: a port byte of
// 0xf8 or more is an aging op instead, [op][n]: both clocks move n * 500 ms and both tables
// take one aging step of 4 entries (Fdb::expire_step), so entries age out, and come due in the
// middle of a pass, between bursts (the pending burst is sent first).
// Input: ([port byte][len byte][len bytes of frame] | [0xf8..0xff][n])...
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "dpdk/eal.hpp"
#include "tests/support/bridge_harness.hpp"

namespace {

lvs::test::BridgeHarness* make_bridge() {
  return [] {
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
}
lvs::test::BridgeHarness* single() {
  static lvs::test::BridgeHarness* br = make_bridge();
  return br;
}
lvs::test::BridgeHarness* bursts() {
  static lvs::test::BridgeHarness* br = make_bridge();
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
  single();
  bursts();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto* one = single();
  auto* many = bursts();
  size_t i = 0;
  std::vector<std::vector<uint8_t>> burst;
  const char* burst_port = nullptr;
  auto flush = [&] {
    if (!burst.empty()) many->send_burst(burst_port, burst);
    burst.clear();
  };
  while (i + 2 <= size) {
    if (data[i] >= 0xf8) {
      flush();
      for (auto* br : {one, many}) {
        br->clock().advance_ms(uint64_t{data[i + 1]} * 500);
        bool done = false;
        br->fdb().expire_step(br->datapath().now_ms(), 4, &done);
      }
      i += 2;
      continue;
    }
    const char* port = kPorts[data[i] % std::size(kPorts)];
    const size_t len = std::min<size_t>(data[i + 1], size - i - 2);
    std::vector<uint8_t> frame(data + i + 2, data + i + 2 + len);
    one->send_raw(port, frame);
    if (port != burst_port || burst.size() == lvs::sw::kBurst) {
      flush();
      burst_port = port;
    }
    burst.push_back(std::move(frame));
    i += 2 + len;
  }
  flush();
  for (const char* p : kPorts)
    if (one->received_bytes(p) != many->received_bytes(p)) std::abort();  // burst != one by one
  if (one->leaked() != 0 || many->leaked() != 0) std::abort();            // an mbuf went missing
  return 0;
}
