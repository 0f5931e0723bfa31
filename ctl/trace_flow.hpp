#pragma once
// The words of `vsctl trace BRIDGE ...` after BRIDGE, as Open vSwitch's ofproto/trace spells a
// flow: `in_port=P dl_src=MAC dl_dst=MAC [dl_vlan=V] [dl_pcp=N] [dl_type=T]`, or `in_port=P HEX`
// with the whole Ethernet frame in hex (no FCS). From fields the frame is built as: dst, src,
// an 802.1Q tag when dl_vlan is given (dl_vlan=0: a priority tag; PCP dl_pcp, default 0), the
// EtherType (default 0x0800), then for IPv4 a valid 20-byte header (0.0.0.0 -> 0.0.0.0,
// protocol 253) and zero padding to 60 bytes.
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "ctl/error.hpp"

namespace lvs::ctl {

struct TraceFlow {
  std::string in_port;
  std::vector<uint8_t> frame;
};

// Errors name the offending word: `dl_vlan: "5000" is not a VLAN id (0..4095)`.
Result<TraceFlow> parse_trace_flow(std::span<const std::string> words);

}  // namespace lvs::ctl
