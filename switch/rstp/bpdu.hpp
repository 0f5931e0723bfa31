#pragma once
// Bridge Protocol Data Units (IEEE 802.1D-2004 clause 9): the 802.1D Configuration and
// Topology Change Notification BPDUs and the 802.1w RST BPDU, inside an 802.3 frame with LLC
// 42 42 03 sent to 01:80:c2:00:00:00. Pure byte work: no datapath, no DPDK.
#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "switch/rstp/priority.hpp"

namespace lvs::sw::rstp {

enum class BpduType : uint8_t { kConfig = 0x00, kTcn = 0x80, kRst = 0x02 };

// Port role as an RST BPDU's flags carry it (bits 2-3).
enum class WireRole : uint8_t { kUnknown = 0, kAlternateBackup = 1, kRoot = 2, kDesignated = 3 };

inline constexpr uint8_t kFlagTc = 0x01, kFlagProposal = 0x02, kFlagLearning = 0x10,
                         kFlagForwarding = 0x20, kFlagAgreement = 0x40, kFlagTcAck = 0x80;

struct Bpdu {
  BpduType type = BpduType::kRst;
  uint8_t version = 2;  // 0: 802.1D, 2: RSTP
  uint8_t flags = 0;
  PriorityVector vector;  // root, root path cost, designated bridge, designated port
  // Times in units of 1/256 s on the wire; seconds here (802.1D-2004 9.2.8).
  uint16_t message_age = 0, max_age = 20, hello_time = 2, forward_delay = 15;

  WireRole role() const { return static_cast<WireRole>((flags >> 2) & 3); }
  void set_role(WireRole r) { flags = static_cast<uint8_t>((flags & ~0x0c) | (uint8_t(r) << 2)); }
  bool rstp() const { return type == BpduType::kRst; }
};

inline constexpr std::array<uint8_t, 6> kBpduDst = {0x01, 0x80, 0xc2, 0x00, 0x00, 0x00};

// The whole Ethernet frame (padded to 60 bytes) from `src_mac`.
std::vector<uint8_t> encode_frame(const Bpdu& bpdu, const std::array<uint8_t, 6>& src_mac);
// Parses a frame (Ethernet header included); nullopt when it is not a valid BPDU for us:
// wrong destination or LLC, unknown protocol, too short for its type.
std::optional<Bpdu> decode_frame(std::span<const uint8_t> frame);

}  // namespace lvs::sw::rstp
