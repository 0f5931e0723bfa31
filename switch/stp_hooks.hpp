#pragma once
// What the datapath shares with a bridge's spanning tree (the protocol machine runs in the
// control plane, switch/rstp/): one state byte per port index that PMDs read without locks
// (relaxed atomics; the control plane writes them as the machine decides), and a queue that
// hands received BPDUs to the control plane. Only bridges with RSTP enabled have one
// (BridgeView::stp is null otherwise, and the pipeline does exactly what it did before).
// Pipeline rules (pipeline.cpp): frames to 01:80:c2:00:00:00 with LLC 42 42 03 go to the queue
// whatever the port's state or VLAN policy; a discarding port drops what else it receives
// (stp_discarding) and is left out of floods and unicast; a learning port learns its sources and
// drops the frames (stp_learning); forwarding is normal.
#include <rte_mbuf.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include "switch/types.hpp"

struct rte_ring;

namespace lvs::sw {

inline constexpr uint8_t kStpDiscarding = 0, kStpLearning = 1, kStpForwarding = 2;

class StpHooks {
 public:
  StpHooks();
  ~StpHooks();
  StpHooks(const StpHooks&) = delete;
  StpHooks& operator=(const StpHooks&) = delete;

  uint8_t state(PortIndex port) const { return states_[port].load(std::memory_order_relaxed); }
  void set_state(PortIndex port, uint8_t state) {
    states_[port].store(state, std::memory_order_relaxed);
  }

  // PMDs (any number at once): queues a BPDU that arrived on `port`; false when the queue is
  // full (the caller frees and counts it).
  bool offer(rte_mbuf* m, PortIndex port);
  // The control thread: takes up to `max` queued BPDUs; each mbuf's `port` field holds the index
  // of the port it came in on. The caller frees them.
  unsigned take(rte_mbuf** out, unsigned max);
  uint64_t overflows() const { return overflows_.load(std::memory_order_relaxed); }

 private:
  std::array<std::atomic<uint8_t>, kMaxPortsPerBridge> states_;
  rte_ring* ring_ = nullptr;
  std::atomic<uint64_t> overflows_{0};
};

// True for a frame to the bridge group address carrying an 802.2 LLC BPDU header.
inline bool is_bpdu_frame(const rte_mbuf* m, uint64_t dst) {
  if (dst != 0x0180c2000000ULL || rte_pktmbuf_data_len(m) < 17) return false;
  const auto* p = rte_pktmbuf_mtod(m, const uint8_t*);
  return p[14] == 0x42 && p[15] == 0x42 && p[16] == 0x03;
}

}  // namespace lvs::sw
