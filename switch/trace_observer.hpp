#pragma once
// The trace's pipeline observer (pipeline_observer.hpp): records every report into a
// TraceReport and diverts every side effect. Nothing is learnt (learn() only notes that the
// datapath would learn), nothing is counted (the drops the datapath would commit are listed
// instead), nothing is sent (output() notes the port and the 802.1Q form of the frame the
// pipeline built for it, runs the port's egress limit on a copy of its bucket as
// TxBatches::flush_slot would, then frees that reference).
#include <rte_mbuf.h>

#include "switch/pipeline_observer.hpp"
#include "switch/trace.hpp"

namespace lvs::sw {

struct TraceObserver {
  TraceReport* report;
  std::vector<std::optional<ByteBucket>>* egress;  // copies, by tx slot (TraceEnv::egress)
  uint64_t now_cycles;
  PortStats* scratch;  // what police() counts instead of the output port

  void learn(Fdb& /*fdb*/, const Fdb::Probe& /*p*/, PortIndex /*port*/, uint64_t /*now_ms*/) {
    report->would_learn = true;
  }
  void count_rx(Port& /*in*/, uint16_t /*n*/, uint64_t /*bytes*/) {}
  template <typename Drops>
  void count_drops(Port& /*in*/, const Drops& drops) {
    for (size_t i = 0; i < kDropReasonCount; ++i)
      if (drops.n[i]) report->drops.push_back(static_cast<DropReason>(i));
  }
  void output(TxBatches* /*tx*/, PortIndex port, uint32_t slot, rte_mbuf* m) {
    const FrameMeta out = parse_frame(m);
    const FrameMeta& in = report->frame;
    TraceOutput o{.port = port, .tagged = out.tagged, .vid = out.tag_vid(), .pcp = out.tag_pcp()};
    o.action = !in.tagged && !out.tagged ? TagAction::kNone
               : !in.tagged              ? TagAction::kPush
               : !out.tagged             ? TagAction::kPop
               : in.tci == out.tci       ? TagAction::kKeep
                                         : TagAction::kRewrite;
    o.bytes = rte_pktmbuf_pkt_len(m);
    if (slot < egress->size() && (*egress)[slot]) {
      ByteBucket& b = *(*egress)[slot];
      o.egress_limit = b.limit();
      o.egress_share = b.share();
      b.refill(now_cycles);  // police() refills again at the same instant: adds nothing
      o.egress_credit = b.credit_bytes();
      o.egress_depth = b.depth_bytes();
      o.egress_admitted = b.police(&m, 1, now_cycles, *scratch, DropReason::kEgressShaped) == 1;
    }
    report->outputs.push_back(o);
    if (o.egress_admitted) rte_pktmbuf_free(m);  // else police() freed it
  }
  void mirror_received(const MirrorTable& /*t*/, uint32_t /*mask*/, rte_mbuf* const* /*pkts*/,
                       const int* /*vlan*/, uint16_t /*n*/, TxBatches* /*tx*/) {
    report->mirrored = true;  // the datapath would copy it to the port's mirrors; nothing sent
  }
  bool offer_bpdu(StpHooks& /*stp*/, rte_mbuf* m, PortIndex /*in*/) {
    report->to_spanning_tree = true;  // queued for the protocol machine, not here
    rte_pktmbuf_free(m);
    return true;
  }
  void parsed(const FrameMeta& f) {
    report->parsed = true;
    report->frame = f;
  }
  void ingress(int vlan) {
    report->classified = true;
    report->vlan = vlan;
  }
  void destination(bool looked_up, PortIndex out) {
    report->destination_decided = true;
    report->looked_up = looked_up;
    report->out = out;
  }
  void storm(FloodKind kind, bool admitted) {
    report->storm_checked = true;
    report->storm_kind = kind;
    report->storm_admitted = admitted;
  }
  void flooding(uint16_t /*vid*/) { report->flooded = true; }
  void flood_member(const FloodTable::Member& mb, FloodSkip skip) {
    report->flood.push_back({mb.port, mb.tagged, skip});
  }
  void neighbour_suppressed(NeighbourKind kind, uint64_t mac) {
    report->neighbour = kind;
    report->neighbour_mac = mac;
  }
};

}  // namespace lvs::sw
