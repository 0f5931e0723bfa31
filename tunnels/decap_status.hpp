#pragma once
// Why a received tunnel packet was refused. Every refusal is counted (sw::DropReason
// kTunnelMalformed or kNoTunnel); this finer reason is for tests and logs.
#include <cstdint>
#include <string_view>

namespace lvs::tunnels {

enum class DecapStatus : uint8_t {
  kOk,
  kTruncated,     // shorter than its own header (or than an Ethernet header after it)
  kBadFlags,      // VXLAN without the I flag, GRE routing / strict-route / recursion bits
  kReservedBits,  // a reserved field that must be zero is not
  kBadVersion,    // GRE version != 0
  kBadProtocol,   // GRE protocol other than 0x6558 (transparent Ethernet bridging)
  kBadChecksum,   // GRE checksum present and wrong
};

constexpr std::string_view to_string(DecapStatus s) {
  switch (s) {
    case DecapStatus::kOk: return "ok";
    case DecapStatus::kTruncated: return "truncated";
    case DecapStatus::kBadFlags: return "bad_flags";
    case DecapStatus::kReservedBits: return "reserved_bits";
    case DecapStatus::kBadVersion: return "bad_version";
    case DecapStatus::kBadProtocol: return "bad_protocol";
    case DecapStatus::kBadChecksum: return "bad_checksum";
  }
  return "?";
}

}  // namespace lvs::tunnels
