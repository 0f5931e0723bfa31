#pragma once
// `vsctl trace`: one frame through a bridge's pipeline, the same code the PMDs run
// (process_burst_observed with TraceObserver, pipeline_observer.hpp), without forwarding it,
// learning from it, counting it or taking storm-control credit: what the datapath would do
// with it now, stage by stage. Runs on the control thread against the live bridge view and FDB
// (read-only: lookups do not refresh ages).
//
// Stages, in pipeline order (TraceReport keeps one field group per stage):
//   ingress policing (as the datapath, on the received frame before the pipeline) -> parse
//   -> ingress VLAN -> [port STP state (RSTP)]
//   -> learn (what would be learnt) -> FDB lookup -> storm control -> [ARP / ND suppression]
//   -> flood set / unicast
//   (split horizon, protected ports) -> per output port the tag action and its egress limit
//   | the drop reason.
// The policing verdicts are ByteBucket::police() itself (rate_limit.hpp) run on copies of the
// buckets of the first PMD polling the input port: the trace takes no tokens.
#include <rte_mempool.h>

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "switch/bridge_view.hpp"
#include "switch/drop_reason.hpp"
#include "switch/fdb.hpp"
#include "switch/frame.hpp"
#include "switch/pipeline_observer.hpp"
#include "switch/rate_limit.hpp"
#include "switch/storm_control.hpp"

namespace lvs::sw {

// What an output port's copy has become, compared with the frame that came in.
enum class TagAction : uint8_t { kNone, kKeep, kPush, kPop, kRewrite };
std::string_view to_string(TagAction action);
std::string_view to_string(FloodSkip skip);
std::string_view to_string(FloodKind kind);

struct TraceOutput {
  PortIndex port = kNoPort;
  TagAction action = TagAction::kNone;
  bool tagged = false;  // how it leaves
  uint16_t vid = 0;
  uint8_t pcp = 0;
  // The port's egress limit (rate_limit.hpp): rate 0, not configured.
  RateLimit egress_limit;
  unsigned egress_share = 1;   // PMDs splitting it
  uint32_t bytes = 0;          // what the copy costs
  uint64_t egress_credit = 0;  // bytes of credit before this copy
  uint64_t egress_depth = 0;
  bool egress_admitted = true;  // false: dropped as egress_shaped, not sent
};

struct TraceFloodMember {
  PortIndex port = kNoPort;
  bool tagged = false;
  FloodSkip skip = FloodSkip::kNone;
};

struct TraceReport {
  std::string error;  // set when the frame could not be traced at all (no mbuf, too long)
  PortIndex in_port = kNoPort;
  VlanPolicy in_policy;  // the input port's, for "why"
  bool in_protected = false;
  uint8_t in_group = 0;
  size_t length = 0;
  uint16_t ethertype = 0;  // after the tag, when tagged

  // ingress policing (before parse: the datapath polices the rx burst); rate 0: none
  RateLimit policing;
  unsigned policing_share = 1;   // PMDs splitting it
  uint64_t policing_credit = 0;  // bytes of credit before this frame
  uint64_t policing_depth = 0;
  bool policing_admitted = true;  // false: ingress_policed, nothing further
  // parse
  bool parsed = false;
  FrameMeta frame{0, 0, 0, false, false};
  // ingress VLAN
  bool classified = false;
  int vlan = kVlanDrop;
  // spanning tree (stp_hooks.hpp): the input port's state, -1 when the bridge runs none; a BPDU
  // the datapath would hand to the protocol machine
  int stp_state = -1;
  bool to_spanning_tree = false;
  // mirrors: the input port's mirrors would get a copy of the frame as it came
  bool mirrored = false;
  // learn
  bool would_learn = false;
  // FDB lookup
  bool destination_decided = false;
  bool looked_up = false;         // false: multicast / broadcast, not looked up
  PortIndex out = kNoPort;        // kNoPort: flood
  std::optional<FdbEntry> entry;  // the hit (or the expired entry behind a miss)
  // storm control
  bool storm_limited = false;  // the input port has limits
  bool storm_checked = false;
  FloodKind storm_kind = FloodKind::kBroadcast;
  bool storm_admitted = true;
  // ARP / ND suppression (neighbour_suppress.hpp): answered from the neighbour table with
  // `neighbour_mac` out of the input port (the answer is in `outputs`), not flooded
  NeighbourKind neighbour = NeighbourKind::kNone;
  uint64_t neighbour_mac = 0;
  // flood set (members in table order, with why each one is skipped)
  bool flooded = false;
  std::vector<TraceFloodMember> flood;
  // outputs and drops
  std::vector<TraceOutput> outputs;
  std::vector<DropReason> drops;
};

struct TraceEnv {
  rte_mempool* pool = nullptr;  // the trace frame and any header copies
  uint64_t now_ms = 0;
  // A copy of the input port's storm buckets (of one PMD polling it); null: no limits.
  std::optional<StormBuckets> storm;
  uint64_t now_cycles = 0;
  uint32_t multicast_budget = UINT32_MAX;
  // Copies of the same PMD's rate-limit buckets: the input port's ingress policer (none: not
  // configured) and, by tx slot, the output ports' egress limits (empty or none: no limit).
  std::optional<ByteBucket> policer;
  std::vector<std::optional<ByteBucket>> egress;
};

TraceReport trace_frame(const BridgeView& bridge, PortIndex in_port, std::span<const uint8_t> frame,
                        TraceEnv env);

}  // namespace lvs::sw
