#pragma once
// Why a frame was dropped: one X-macro list (VPP's foreach_l2fwd_error) gives the enum, the
// names printed by vsctl (`statistics:drop_<name>`) and any metric labels, so they cannot
// drift apart. Every dropped frame is counted under exactly one reason.
#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace lvs::sw {

// X(Enumerator, "printed name", "what it means")
#define LVS_FOREACH_DROP_REASON(X)                                                              \
  X(kMalformed, "malformed", "too short for its Ethernet / 802.1Q header, or a bad IPv4 header") \
  X(kVlanNotAdmitted, "vlan_not_admitted", "the input port's VLAN policy refuses the frame")     \
  X(kReservedMulticast, "reserved_multicast", "01:80:c2:00:00:0x without forward-bpdu")          \
  X(kHairpin, "hairpin", "learnt on the port it came in on")                                     \
  X(kPortDown, "port_down", "output port administratively down")                                 \
  X(kTxFull, "tx_full", "the output queue did not take it")                                      \
  X(kNoBuffer, "no_buffer", "no mbuf for a header copy")                                         \
  X(kSplitHorizon, "split_horizon",                                                              \
    "would leave through a port of the input port's split-horizon group")                        \
  X(kTunnelMalformed, "tunnel_malformed",                                                        \
    "tunnel packet with a bad outer / VXLAN / GRE header or checksum")                           \
  X(kNoTunnel, "no_tunnel", "tunnel packet whose (remote_ip, key) matches no tunnel port")       \
  X(kTooBig, "too_big",                                                                          \
    "larger than the output port's MTU (or, encapsulated, the underlay MTU with DF set)")        \
  X(kStormBroadcast, "storm_broadcast", "broadcast over the input port's storm-control rate")    \
  X(kStormMulticast, "storm_multicast", "multicast over the input port's storm-control rate")    \
  X(kStormUnknownUnicast, "storm_unknown_unicast",                                               \
    "unknown unicast over the input port's storm-control rate")                                  \
  X(kNoNeighbour, "no_neighbour",                                                                \
    "underlay=port tunnel whose next hop's MAC is not resolved (yet)")                           \
  X(kProtected, "protected", "unicast from a protected port to another protected port")         \
  X(kFloodOverload, "flood_overload",                                                            \
    "multicast flood past the PMD iteration's budget of frame copies (pipeline.hpp)")          \
  X(kIngressPoliced, "ingress_policed",                                                          \
    "received over the interface's ingress_policing_rate (rate_limit.hpp)")                      \
  X(kEgressShaped, "egress_shaped",                                                              \
    "sent over the port's other_config:egress-rate-kbps (rate_limit.hpp; a policer, no queue)") \
  X(kStpDiscarding, "stp_discarding",                                                            \
    "received on, or to leave by, a port the spanning tree keeps discarding")                   \
  X(kStpLearning, "stp_learning", "received on a port the spanning tree keeps learning")         \
  X(kBpduOverflow, "bpdu_overflow", "BPDU for the spanning tree while its queue was full")      \
  X(kArpSuppressed, "arp_suppressed",                                                            \
    "ARP request answered by the switch from the neighbour table (neighbour_suppress.hpp)")      \
  X(kNdSuppressed, "nd_suppressed",                                                              \
    "IPv6 neighbour solicitation answered by the switch from the neighbour table")

enum class DropReason : uint8_t {
#define LVS_DROP_ENUM(e, name, doc) e,
  LVS_FOREACH_DROP_REASON(LVS_DROP_ENUM)
#undef LVS_DROP_ENUM
      kCount
};

inline constexpr size_t kDropReasonCount = static_cast<size_t>(DropReason::kCount);

inline constexpr std::array<std::string_view, kDropReasonCount> kDropReasonNames = {
#define LVS_DROP_NAME(e, name, doc) name,
    LVS_FOREACH_DROP_REASON(LVS_DROP_NAME)
#undef LVS_DROP_NAME
};

inline constexpr std::array<std::string_view, kDropReasonCount> kDropReasonHelp = {
#define LVS_DROP_HELP(e, name, doc) doc,
    LVS_FOREACH_DROP_REASON(LVS_DROP_HELP)
#undef LVS_DROP_HELP
};

constexpr std::string_view to_string(DropReason reason) {
  const auto i = static_cast<size_t>(reason);
  return i < kDropReasonCount ? kDropReasonNames[i] : std::string_view{"?"};
}

}  // namespace lvs::sw
