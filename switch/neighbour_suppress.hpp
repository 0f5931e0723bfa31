#pragma once
// ARP / IPv6 ND suppression, a stage on the flood branch of the pipeline (pipeline.cpp): an ARP
// request or a Neighbour Solicitation that would be flooded, received on a port outside any
// split-horizon group (not a tunnel), whose target is in the bridge's neighbour table
// (neighbour_table.hpp) for the frame's VLAN, is answered by the switch out of the input port
// (with that port's tagging for the VLAN) and neither flooded nor sent to tunnels. The request
// is counted as `arp_suppressed` / `nd_suppressed` on the input port (drop_reason.hpp); the
// answer is sent and counted as any other frame leaving that port.
//   ARP: opcode 1 (broadcast, or unicast to a MAC the FDB does not know), Ethernet/IPv4;
//        gratuitous requests (sender IP = target IP) and probes (sender IP 0.0.0.0) go on as
//        before: they announce or defend an address, the owner must see them.
//   ND:  ICMPv6 type 135 code 0, hop limit 255, no extension headers, valid checksum; the answer
//        is a Neighbour Advertisement with the solicited and override flags and a target
//        link-layer address option. DAD (source ::) goes on as before, for the same reason.
// Known unicast pays nothing: the stage is reached only by frames that would be flooded, and
// a bridge with an empty table costs one null pointer test per such frame.
#include <rte_mbuf.h>

#include <cstdint>

#include "switch/bridge_view.hpp"
#include "switch/drop_reason.hpp"
#include "switch/frame.hpp"
#include "switch/neighbour_table.hpp"
#include "switch/pipeline.hpp"
#include "switch/tag_rewrite.hpp"

namespace lvs::sw {

inline constexpr uint16_t kEtherTypeArp = 0x0806;
inline constexpr uint16_t kEtherTypeIpv6 = 0x86dd;
// 802.1Q Ethernet + IPv6 + NA with its option: the longest answer.
inline constexpr uint16_t kMaxNeighbourReply = 18 + 40 + 32;

struct NeighbourMatch {
  NeighbourKind kind = NeighbourKind::kNone;
  uint64_t mac = 0;  // the table's answer
};

// Whether `m` (parsed as `f`, on VLAN `vid`) is a request the table answers (rules above).
NeighbourMatch match_neighbour_request(const rte_mbuf* m, const FrameMeta& f, uint16_t vid,
                                       const NeighbourTable& table);
// Writes the answer to the matched request `m` into `out` (kMaxNeighbourReply bytes), with the
// request's 802.1Q tag when it had one; returns its length.
uint16_t build_neighbour_reply(const rte_mbuf* m, const FrameMeta& f, const NeighbourMatch& match,
                               uint8_t* out);
// The ICMPv6 checksum (RFC 4443 2.3) of the IPv6 packet at `ip6` whose payload is `len` bytes.
uint16_t icmpv6_checksum(const uint8_t* ip6, uint16_t len);

// Puts `len` bytes in `m` itself when nobody else holds it (its payload was read already), else
// in a fresh mbuf from `pool` and frees `m`. nullptr (m freed) when the pool is empty.
rte_mbuf* neighbour_reply_mbuf(rte_mbuf* m, const uint8_t* bytes, uint16_t len, rte_mempool* pool);

// The pipeline's stage: true when it took `m` (answered, or dropped for want of a buffer).
template <typename Obs, typename Drops>
bool suppress_neighbour(const BridgeView& br, PortIndex in_port, rte_mbuf* m, const FrameMeta& f,
                        uint16_t vid, PipelineContext& ctx, Drops& drops, Obs& obs) {
  const NeighbourTable* table = br.neighbours ? br.neighbours->current() : nullptr;
  if (__builtin_expect(table == nullptr, 1)) return false;
  const BridgePortView& ip = br.ports[in_port];
  if (ip.split_horizon_group != 0) return false;  // tunnels: the other host answers
  const EgressTag form = ip.vlan.egress(vid);
  if (form == EgressTag::kNotMember) return false;
  const NeighbourMatch match = match_neighbour_request(m, f, vid, *table);
  if (match.kind == NeighbourKind::kNone) return false;
  obs.neighbour_suppressed(match.kind, match.mac);
  uint8_t bytes[kMaxNeighbourReply];
  const uint16_t len = build_neighbour_reply(m, f, match, bytes);
  rte_mbuf* r = neighbour_reply_mbuf(m, bytes, len, ctx.pool);
  if (r == nullptr || (!has_form(f, form, vid) && !retag_in_place(r, f, form, vid))) {
    if (r) rte_pktmbuf_free(r);
    drops.add(DropReason::kNoBuffer);
    return true;
  }
  drops.add(match.kind == NeighbourKind::kArp ? DropReason::kArpSuppressed
                                              : DropReason::kNdSuppressed);
  obs.output(ctx.tx, in_port, ip.tx_slot, r);
  return true;
}

}  // namespace lvs::sw
