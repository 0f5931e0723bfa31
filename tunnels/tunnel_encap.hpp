#pragma once
// A tunnel port's header template and the per-piece header build shared by both underlays:
// UDP + VXLAN (per-flow source port) or GRE (key, optional checksum), followed by the piece's
// rewritten inner headers, as one header buffer plus iovecs over the frame's own bytes.
#include <sys/uio.h>

#include <cstdint>

#include "tunnels/inner_frame.hpp"
#include "tunnels/inner_gso.hpp"
#include "tunnels/tunnel_config.hpp"

namespace lvs::tunnels {

class TunnelEncap {
 public:
  static constexpr unsigned kMaxIov = 17;
  static constexpr unsigned kHeaderRoom = 32 + kMaxInnerHeader;

  explicit TunnelEncap(const TunnelConfig& config);
  const TunnelConfig& config() const { return config_; }
  // Length of the tunnel header (UDP + VXLAN, or GRE) before the inner frame.
  unsigned header_len() const;

  // Builds the message for one piece into `hdr` (tunnel header + inner headers) and iov[1..];
  // returns the iovec count, 0 when the piece spans too many segments.
  unsigned build(const rte_mbuf* m, const InnerSegment& s, uint16_t src_port, uint8_t* hdr,
                 iovec* iov) const;

 private:
  TunnelConfig config_;
  uint8_t template_[16] = {};  // VXLAN header, or GRE header (checksum zero)
  uint8_t template_len_ = 0;
};

// What every piece of one frame shares: outer UDP source port, TTL and TOS.
struct PieceMeta {
  uint16_t src_port;
  uint8_t ttl;
  uint8_t tos;
};

// The outer source port, TTL and TOS of frame `m`'s pieces.
inline PieceMeta piece_meta(const TunnelConfig& c, const rte_mbuf* m) {
  const bool inspect = c.kind == TunnelKind::kVxlan || c.ttl_inherit || c.tos_inherit;
  InnerInfo info;
  if (inspect) info = inspect_inner(m);
  return PieceMeta{flow_source_port(info.hash), c.ttl_inherit && info.ip ? info.ttl : c.ttl,
                   c.tos_inherit ? (info.ip ? info.tos : uint8_t{0}) : c.tos};
}

// Calls emit(m, piece, meta) for every underlay-sized piece of pkts[0, n) (inner_gso.hpp);
// returns how many frames were malformed (their pieces are not emitted). Frees nothing.
template <typename Emit>
inline uint64_t for_each_piece(const TunnelConfig& c, rte_mbuf* const* pkts, uint16_t n,
                               Emit&& emit) {
  uint64_t malformed = 0;
  for (uint16_t i = 0; i < n; ++i) {
    const rte_mbuf* m = pkts[i];
    const PieceMeta meta = piece_meta(c, m);
    const GsoResult r = for_each_inner_segment(m, [&](const InnerSegment& s) { emit(m, s, meta); });
    if (__builtin_expect(r != GsoResult::kOk, 0)) ++malformed;
  }
  return malformed;
}

}  // namespace lvs::tunnels
