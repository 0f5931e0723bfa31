#include "switch/trace.hpp"

#include <cstring>

#include "switch/pipeline.hpp"
#include "switch/trace_observer.hpp"

namespace lvs::sw {

std::string_view to_string(TagAction action) {
  switch (action) {
    case TagAction::kNone:
      return "none";
    case TagAction::kKeep:
      return "keep";
    case TagAction::kPush:
      return "push";
    case TagAction::kPop:
      return "pop";
    case TagAction::kRewrite:
      return "rewrite";
  }
  return "?";
}

std::string_view to_string(FloodSkip skip) {
  switch (skip) {
    case FloodSkip::kNone:
      return "none";
    case FloodSkip::kInputPort:
      return "input_port";
    case FloodSkip::kSplitHorizon:
      return "split_horizon";
    case FloodSkip::kProtected:
      return "protected";
    case FloodSkip::kStpNotForwarding:
      return "stp_not_forwarding";
  }
  return "?";
}

std::string_view to_string(FloodKind kind) {
  switch (kind) {
    case FloodKind::kBroadcast:
      return "broadcast";
    case FloodKind::kMulticast:
      return "multicast";
    case FloodKind::kUnknownUnicast:
      return "unknown_unicast";
    case FloodKind::kCount:
      break;
  }
  return "?";
}

// The drops police() counted on the trace's scratch stats (never the port's).
void append_drops(const PortStats& stats, std::vector<DropReason>& drops) {
  const PortCounters c = stats.read();
  for (size_t i = 0; i < kDropReasonCount; ++i)
    if (c.drops[i]) drops.push_back(static_cast<DropReason>(i));
}

TraceReport trace_frame(const BridgeView& bridge, PortIndex in_port, std::span<const uint8_t> frame,
                        TraceEnv env) {
  TraceReport r;
  r.in_port = in_port;
  const BridgePortView& ip = bridge.ports.at(in_port);
  r.in_policy = ip.vlan;
  r.in_protected = ip.protected_port;
  r.in_group = ip.split_horizon_group;
  if (bridge.stp) r.stp_state = bridge.stp->state(in_port);  // what the pipeline reads
  r.length = frame.size();
  if (frame.size() >= kEthHeaderLen) {
    const bool tagged =
        frame.size() >= kEthHeaderLen + kVlanTagLen && load_be16(frame.data() + 12) == kTpid8021Q;
    r.ethertype = load_be16(frame.data() + (tagged ? 16 : 12));
  }
  rte_mbuf* m = rte_pktmbuf_alloc(env.pool);
  if (m == nullptr) {
    r.error = "no mbuf for the trace frame";
    return r;
  }
  char* p = frame.size() <= rte_pktmbuf_tailroom(m)
                ? rte_pktmbuf_append(m, static_cast<uint16_t>(frame.size()))
                : nullptr;
  if (p == nullptr) {
    r.error = "frame of " + std::to_string(frame.size()) + " bytes is longer than one mbuf (" +
              std::to_string(rte_pktmbuf_tailroom(m)) + ")";
    rte_pktmbuf_free(m);
    return r;
  }
  if (!frame.empty()) std::memcpy(p, frame.data(), frame.size());

  // Ingress policing, as Datapath::iterate does on the received burst before the pipeline.
  PortStats scratch;  // what police() counts; the port's own counters are not touched
  if (env.policer) {
    ByteBucket& b = *env.policer;  // a copy: the PMD's tokens are not taken
    r.policing = b.limit();
    r.policing_share = b.share();
    b.refill(env.now_cycles);  // police() refills again at the same instant: adds nothing
    r.policing_credit = b.credit_bytes();
    r.policing_depth = b.depth_bytes();
    r.frame = parse_frame(m);  // for the flow line only: the pipeline parses it again
    if (b.police(&m, 1, env.now_cycles, scratch, DropReason::kIngressPoliced) == 0) {
      r.policing_admitted = false;  // freed by police(); the pipeline never sees it
      append_drops(scratch, r.drops);
      return r;
    }
  }

  PipelineContext ctx;
  ctx.tx = nullptr;  // TraceObserver::output() sends nothing
  ctx.pool = env.pool;
  ctx.now_ms = env.now_ms;
  ctx.storm = env.storm ? &*env.storm : nullptr;  // a copy: the PMDs' credit is not taken
  ctx.now_cycles = env.now_cycles;
  ctx.multicast_budget = env.multicast_budget;
  r.storm_limited = ctx.storm != nullptr;
  TraceObserver observer{&r, &env.egress, env.now_cycles, &scratch};
  process_burst_observed(bridge, in_port, &m, 1, ctx, observer);

  if (r.destination_decided && r.looked_up && r.classified && r.vlan >= 0)
    r.entry =
        bridge.fdb->peek(Fdb::make_key(r.frame.dst, static_cast<uint16_t>(r.vlan)), env.now_ms);
  return r;
}

}  // namespace lvs::sw
