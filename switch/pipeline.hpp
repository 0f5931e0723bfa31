#pragma once
// One burst from one input port through a bridge, VPP-style stages over the whole burst:
//   parse (frame.hpp) -> VLAN classify (vlan_policy.hpp) -> learn + lookup (fdb.hpp)
//   -> forward: unicast or flood (this file; floods pass the input port's storm control,
//   storm_control.hpp) -> tag rewrite (tag_rewrite.hpp) -> TX batches.
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include <cstdint>

#include "switch/bridge_view.hpp"
#include "switch/storm_control.hpp"
#include "switch/tx_batch.hpp"

namespace lvs::sw {

struct PipelineContext {
  TxBatches* tx = nullptr;
  rte_mempool* pool = nullptr;  // header copies for floods whose outputs need another tag
  uint64_t now_ms = 0;
  // The input port's storm-control buckets for this PMD, null when the port has no limits;
  // refilled at the start of the burst from `now_cycles`.
  StormBuckets* storm = nullptr;
  uint64_t now_cycles = 0;
  // Frame copies multicast floods may still queue in this PMD iteration. N ports that each send
  // a few IPv6 link-local multicasts (MLD, RS, DAD) make N x N copies; past the budget such a
  // flood is dropped (flood_overload) so the iteration stays short and unicast, broadcast (ARP)
  // and unknown unicast keep flowing. Broadcast and unknown unicast are never counted against it.
  uint32_t multicast_budget = UINT32_MAX;
};

// Takes ownership of pkts[0..n): every frame is queued for output or freed and counted.
void process_burst(const BridgeView& bridge, PortIndex in_port, rte_mbuf** pkts, uint16_t n,
                   PipelineContext& ctx);

// The same stages reporting to an observer and doing their side effects through it
// (pipeline_observer.hpp). process_burst() is the DatapathObserver instantiation; the other one,
// TraceObserver (trace_observer.hpp), is what `vsctl trace` runs. Both are instantiated in
// pipeline.cpp.
template <typename Obs>
void process_burst_observed(const BridgeView& bridge, PortIndex in_port, rte_mbuf** pkts,
                            uint16_t n, PipelineContext& ctx, Obs& observer);

}  // namespace lvs::sw
