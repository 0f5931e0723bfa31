#include "switch/pipeline.hpp"

#include <rte_prefetch.h>

#include "switch/frame.hpp"
#include "switch/neighbour_suppress.hpp"
#include "switch/tag_rewrite.hpp"
#include "switch/trace_observer.hpp"

namespace lvs::sw {
namespace {

struct DropCounts {
  uint32_t n[static_cast<size_t>(DropReason::kCount)] = {};
  void add(DropReason r) { ++n[static_cast<size_t>(r)]; }
  void commit(PortStats& s) const {
    for (size_t i = 0; i < static_cast<size_t>(DropReason::kCount); ++i)
      if (n[i]) s.add_drop(static_cast<DropReason>(i), n[i]);
  }
};

// Sends one frame of VLAN `vid` to every flood member except the input port. Each output
// form (tagged / untagged) is built at most once and shared by reference count. kStp: the
// bridge runs a spanning tree (members that are not forwarding are skipped); a separate
// instance so that bridges without one pay nothing per member.
template <bool kStp, typename Obs>
void flood_members(const BridgeView& br, PortIndex in_port, rte_mbuf* m, const FrameMeta& f,
                   uint16_t vid, PipelineContext& ctx, DropCounts& drops, Obs& obs) {
  obs.flooding(vid);
  const auto members = br.flood.for_vlan(vid);
  const uint8_t in_group = br.ports[in_port].split_horizon_group;
  const bool in_protected = br.ports[in_port].protected_port;
  const StpHooks* const stp = br.stp.get();
  auto member_skip = [&](const FloodTable::Member& mb) {
    const FloodSkip skip = flood_skip(mb, in_port, in_group, in_protected);
    if (kStp && skip == FloodSkip::kNone && stp->state(mb.port) != kStpForwarding)
      return FloodSkip::kStpNotForwarding;
    return skip;
  };
  auto excluded = [&](const FloodTable::Member& mb) {
    return member_skip(mb) != FloodSkip::kNone;
  };
  uint32_t need[2] = {0, 0};  // [untagged, tagged]
  for (const auto& mb : members) {
    obs.flood_member(mb, member_skip(mb));
    need[mb.tagged] += !excluded(mb);
  }
  const uint32_t copies = need[0] + need[1];
  if (copies == 0) {
    rte_pktmbuf_free(m);
    return;
  }
  if (mac_is_multicast(f.dst) && !mac_is_broadcast(f.dst)) {
    if (__builtin_expect(copies > ctx.multicast_budget, 0)) {
      drops.add(DropReason::kFloodOverload);
      rte_pktmbuf_free(m);
      return;
    }
    ctx.multicast_budget -= copies;
  }
  rte_mbuf* form[2] = {nullptr, nullptr};
  const EgressTag kForm[2] = {EgressTag::kUntagged, EgressTag::kTagged};
  bool original_used = false;
  for (int t = 0; t < 2; ++t) {
    if (!need[t]) continue;
    if (has_form(f, kForm[t], vid)) {
      form[t] = m;
      original_used = true;
    }
  }
  for (int t = 0; t < 2; ++t) {
    if (!need[t] || form[t]) continue;
    const bool last_use = !original_used && (t == 1 || !need[1]);
    if (last_use && writable(m) && retag_in_place(m, f, kForm[t], vid)) {
      form[t] = m;
      original_used = true;
      continue;
    }
    form[t] = make_retagged_copy(m, f, kForm[t], vid, ctx.pool);
    if (form[t] == nullptr) {
      drops.add(DropReason::kNoBuffer);
      need[t] = 0;
    }
  }
  if (!original_used) rte_pktmbuf_free(m);
  for (int t = 0; t < 2; ++t)
    if (need[t] > 1) rte_pktmbuf_refcnt_update(form[t], static_cast<int16_t>(need[t] - 1));
  for (const auto& mb : members) {
    if (excluded(mb) || !form[mb.tagged]) continue;
    obs.output(ctx.tx, mb.port, br.ports[mb.port].tx_slot, form[mb.tagged]);
  }
}

template <typename Obs>
void flood(const BridgeView& br, PortIndex in_port, rte_mbuf* m, const FrameMeta& f, uint16_t vid,
           PipelineContext& ctx, DropCounts& drops, Obs& obs) {
  if (__builtin_expect(br.stp != nullptr, 0))
    flood_members<true>(br, in_port, m, f, vid, ctx, drops, obs);
  else
    flood_members<false>(br, in_port, m, f, vid, ctx, drops, obs);
}

template <typename Obs>
void unicast(const BridgeView& br, PortIndex in_port, PortIndex out, rte_mbuf* m,
             const FrameMeta& f, uint16_t vid, PipelineContext& ctx, DropCounts& drops, Obs& obs) {
  const BridgePortView& op = br.ports[out];
  if (__builtin_expect(!op.admin_up || !op.port, 0)) {
    drops.add(DropReason::kPortDown);
    rte_pktmbuf_free(m);
    return;
  }
  const uint8_t group = op.split_horizon_group;
  if (__builtin_expect(group != 0 && group == br.ports[in_port].split_horizon_group, 0)) {
    drops.add(DropReason::kSplitHorizon);
    rte_pktmbuf_free(m);
    return;
  }
  if (__builtin_expect(op.protected_port && br.ports[in_port].protected_port, 0)) {
    drops.add(DropReason::kProtected);
    rte_pktmbuf_free(m);
    return;
  }
  if (__builtin_expect(br.stp != nullptr, 0) && br.stp->state(out) != kStpForwarding) {
    drops.add(DropReason::kStpDiscarding);
    rte_pktmbuf_free(m);
    return;
  }
  const EgressTag form = op.vlan.egress(vid);
  if (__builtin_expect(form == EgressTag::kNotMember, 0)) {
    // Learnt on a port that no longer carries the VLAN (policy changed): flood instead.
    flood(br, in_port, m, f, vid, ctx, drops, obs);
    return;
  }
  if (!has_form(f, form, vid)) {
    if (writable(m) && retag_in_place(m, f, form, vid)) {
      // edited in place
    } else {
      rte_mbuf* c = make_retagged_copy(m, f, form, vid, ctx.pool);
      rte_pktmbuf_free(m);
      if (c == nullptr) {
        drops.add(DropReason::kNoBuffer);
        return;
      }
      m = c;
    }
  }
  obs.output(ctx.tx, out, op.tx_slot, m);
}

}  // namespace

template <typename Obs>
void process_burst_observed(const BridgeView& br, PortIndex in_port, rte_mbuf** pkts, uint16_t n,
                            PipelineContext& ctx, Obs& obs) {
  const BridgePortView& ip = br.ports[in_port];
  Fdb& fdb = *br.fdb;
  FrameMeta meta[kBurst];
  int vlan[kBurst];
  Fdb::Probe src_probe[kBurst], dst_probe[kBurst];
  // Frames of one flow tend to arrive together: a frame with the same (src, dst, VLAN) as the
  // one before it in the burst takes the same decision without touching the table again.
  bool same_as_prev[kBurst];
  uint64_t rx_bytes = 0;
  DropCounts drops;
  // Spanning tree: BPDUs go to the control plane; the input port's state decides the rest.
  StpHooks* const stp = br.stp.get();
  const uint8_t in_state = stp ? stp->state(in_port) : kStpForwarding;

  // Stage 1: parse + classify the whole burst; prefetch the table buckets for stage 2.
  for (uint16_t i = 0; i < n; ++i) {
    if (i + 2 < n) rte_prefetch0(rte_pktmbuf_mtod(pkts[i + 2], void*));
    rte_mbuf* m = pkts[i];
    rx_bytes += rte_pktmbuf_pkt_len(m);
    meta[i] = parse_frame(m);
    obs.parsed(meta[i]);
    if (__builtin_expect(!meta[i].valid, 0)) {
      vlan[i] = kVlanDrop;
      drops.add(DropReason::kMalformed);
      continue;
    }
    if (__builtin_expect(stp != nullptr, 0)) {
      if (__builtin_expect(mac_is_reserved(meta[i].dst), 0) && is_bpdu_frame(m, meta[i].dst)) {
        vlan[i] = kVlanDrop;
        if (obs.offer_bpdu(*stp, m, in_port)) pkts[i] = nullptr;  // the control plane frees it
        else drops.add(DropReason::kBpduOverflow);
        continue;
      }
      if (in_state == kStpDiscarding) {
        vlan[i] = kVlanDrop;
        drops.add(DropReason::kStpDiscarding);
        continue;
      }
    }
    vlan[i] = ip.vlan.ingress_vlan(meta[i]);
    obs.ingress(vlan[i]);
    if (__builtin_expect(vlan[i] == kVlanDrop, 0)) {
      drops.add(DropReason::kVlanNotAdmitted);
      continue;
    }
    if (__builtin_expect(mac_is_reserved(meta[i].dst), 0) && !br.forward_bpdu) {
      vlan[i] = kVlanDrop;
      drops.add(DropReason::kReservedMulticast);
      continue;
    }
    const auto vid = static_cast<uint16_t>(vlan[i]);
    same_as_prev[i] = i > 0 && vlan[i - 1] == vlan[i] && meta[i - 1].src == meta[i].src &&
                      meta[i - 1].dst == meta[i].dst;
    if (same_as_prev[i]) continue;
    src_probe[i] = fdb.probe(Fdb::make_key(meta[i].src, vid));
    fdb.prefetch(src_probe[i]);
    if (!mac_is_multicast(meta[i].dst)) {
      dst_probe[i] = fdb.probe(Fdb::make_key(meta[i].dst, vid));
      fdb.prefetch(dst_probe[i]);
    }
  }
  obs.count_rx(*ip.port, n, rx_bytes);
  // Mirrors of what this port receives (mirror.hpp): the frames as they came, before any retag.
  if (__builtin_expect(ip.rx_mirrors != 0, 0))
    obs.mirror_received(*br.mirrors, ip.rx_mirrors, pkts, vlan, n, ctx.tx);

  // Stage 2: learn the source, look up the destination, forward.
  // With storm control on the input port, what would be flooded is policed first and a frame
  // over the rate teaches nothing: in a loop, a returning copy must not move its sender's MAC
  // onto the loop's ports, and a broadcast MAC flood must not reach the table.
  StormBuckets* const storm = ctx.storm;
  if (__builtin_expect(storm != nullptr, 0)) storm->refill(ctx.now_cycles);
  PortIndex out = kNoPort;            // the previous frame's decision (kNoPort: flood)
  const Fdb::Probe* learn = nullptr;  // a source still to learn (storm control only)
  for (uint16_t i = 0; i < n; ++i) {
    rte_mbuf* m = pkts[i];
    if (__builtin_expect(vlan[i] == kVlanDrop, 0)) {
      rte_pktmbuf_free(m);
      continue;
    }
    const FrameMeta& f = meta[i];
    const auto vid = static_cast<uint16_t>(vlan[i]);
    if (!same_as_prev[i]) {
      learn = nullptr;
      if (__builtin_expect(mac_is_learnable(f.src), 1)) {
        if (__builtin_expect(storm == nullptr, 1))
          obs.learn(fdb, src_probe[i], in_port, ctx.now_ms);
        else
          learn = &src_probe[i];
      }
      out = mac_is_multicast(f.dst) ? kNoPort : fdb.lookup(dst_probe[i], ctx.now_ms);
      if (__builtin_expect(learn != nullptr && f.src == f.dst, 0)) out = in_port;  // as if learnt
      obs.destination(!mac_is_multicast(f.dst), out);
    }
    if (__builtin_expect(storm != nullptr, 0)) {
      if (out == kNoPort) {
        const FloodKind kind = !mac_is_multicast(f.dst)  ? FloodKind::kUnknownUnicast
                               : mac_is_broadcast(f.dst) ? FloodKind::kBroadcast
                                                         : FloodKind::kMulticast;
        const bool admitted = storm->admit(kind);
        obs.storm(kind, admitted);
        if (!admitted) {
          drops.add(drop_reason_of(kind));
          rte_pktmbuf_free(m);
          continue;  // a later frame of the same run may still teach the source
        }
      }
      if (learn) {
        obs.learn(fdb, *learn, in_port, ctx.now_ms);
        learn = nullptr;
      }
    }
    if (__builtin_expect(in_state != kStpForwarding, 0)) {
      drops.add(DropReason::kStpLearning);  // learnt above, not forwarded
      rte_pktmbuf_free(m);
      continue;
    }
    if (out == kNoPort) {
      if (!suppress_neighbour(br, in_port, m, f, vid, ctx, drops, obs))
        flood(br, in_port, m, f, vid, ctx, drops, obs);
    } else if (__builtin_expect(out == in_port, 0)) {
      drops.add(DropReason::kHairpin);
      rte_pktmbuf_free(m);
    } else {
      unicast(br, in_port, out, m, f, vid, ctx, drops, obs);
    }
  }
  obs.count_drops(*ip.port, drops);
}

void process_burst(const BridgeView& br, PortIndex in_port, rte_mbuf** pkts, uint16_t n,
                   PipelineContext& ctx) {
  DatapathObserver datapath;
  process_burst_observed(br, in_port, pkts, n, ctx, datapath);
}

// The trace's instantiation (trace.cpp): the same stages, side effects diverted.
template void process_burst_observed<TraceObserver>(const BridgeView&, PortIndex, rte_mbuf**,
                                                    uint16_t, PipelineContext&, TraceObserver&);

}  // namespace lvs::sw
