// Datapath::trace: a frame through the live configuration snapshot (trace.hpp). Holding the
// control mutex keeps the snapshot alive: apply() frees the old one under it.
#include "switch/datapath.hpp"

namespace lvs::sw {

TraceReport Datapath::trace(const std::string& bridge, const std::string& port,
                            std::span<const uint8_t> frame) const {
  std::lock_guard lock(control_);
  const Snapshot* s = current_.load(std::memory_order_acquire);
  const BridgeView* view = nullptr;
  for (const auto& b : s->bridges)
    if (b->name == bridge) view = b.get();
  TraceReport failed;
  if (view == nullptr) {
    failed.error = "no bridge " + bridge + " in the datapath";
    return failed;
  }
  PortIndex in = kNoPort;
  if (const auto st = states_.find(bridge); st != states_.end())
    if (const auto idx = st->second.index_of.find(port); idx != st->second.index_of.end())
      in = idx->second;
  if (in >= view->ports.size() || !view->ports[in].port) {
    failed.error = "bridge " + bridge + " has no port " + port + " in the datapath";
    return failed;
  }
  TraceEnv env;
  env.pool = pool_;
  env.now_ms = clock_->now_ms();
  env.multicast_budget = multicast_budget_;
  // The buckets of the first PMD polling the port, copied: the trace takes no credit. The PMD
  // may be updating them meanwhile (plain 64-bit words): the verdict is that of this instant.
  // Its egress buckets too: that PMD is the one that would send the frame's copies.
  env.now_cycles = clock_->now_cycles();
  bool found = false;
  for (size_t pmd = 0; pmd < s->rx_by_pmd.size() && !found; ++pmd) {
    for (const Rxq& q : s->rx_by_pmd[pmd].all) {
      if (q.bridge != view || q.port != in) continue;
      found = true;
      if (q.storm != nullptr) env.storm.emplace(*q.storm);
      if (q.policer != nullptr) env.policer.emplace(*q.policer);
      if (pmd < s->egress_by_pmd.size())
        for (const ByteBucket* b : s->egress_by_pmd[pmd])
          env.egress.push_back(b ? std::optional<ByteBucket>(*b) : std::nullopt);
      break;
    }
  }
  return trace_frame(*view, in, frame, std::move(env));
}

}  // namespace lvs::sw
