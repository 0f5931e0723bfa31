#pragma once
// What the kernel-facing port kinds (system: AF_PACKET, internal: tap) share: frame sizes, how
// many mbufs of a pool a 64 KiB GSO frame needs, and the counters they add to PortStats.
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <sys/uio.h>

#include <algorithm>
#include <cstdint>

#include "ports/big_tcp.hpp"

namespace lvs::ports {

// Data room for pools feeding kernel ports: a 64 KiB GSO frame fits one mbuf but for its tail.
inline constexpr uint16_t kLargeDataRoom = UINT16_MAX;
// Largest frame accepted from the kernel: 64 KiB of IP plus Ethernet and two tags.
inline constexpr uint32_t kMaxKernelFrame = 65536 + 14 + 8;
// iovecs per frame a port prepares, beyond the virtio-net header.
inline constexpr unsigned kMaxFrameSegs = 64;
// Largest BIG TCP frame a system port receives (big_tcp.hpp), before it cuts it.
inline constexpr uint32_t kMaxBigKernelFrame = kBigTcpGsoSize + 14 + 8;
// 64 KiB tails of a receive slot in big mode: a 2 KiB head plus these hold kMaxBigKernelFrame.
inline constexpr unsigned kBigTails = 3;
// Pieces of one BIG TCP frame at most (whole segments of at least 536 bytes per piece).
inline constexpr unsigned kMaxBigPieces = 4;

// mbufs of `pool` a receive slot holds so that a kMaxKernelFrame frame fits: the first keeps its
// headroom (tags are pushed there), continuations use the whole room. 0 when the pool's mbufs are
// too small to reach kMaxKernelFrame within kMaxFrameSegs.
inline unsigned segments_per_frame(const rte_mempool* pool) {
  const uint32_t room = rte_pktmbuf_data_room_size(const_cast<rte_mempool*>(pool));
  if (room <= RTE_PKTMBUF_HEADROOM + 64u) return 0;
  const uint32_t head = room - RTE_PKTMBUF_HEADROOM;
  const uint32_t more = head >= kMaxKernelFrame ? 0 : (kMaxKernelFrame - head + room - 1) / room;
  return 1 + more <= kMaxFrameSegs ? 1 + more : 0;
}

// Readies a fresh mbuf as segment `s` of a receive slot and points `iov` at its room.
inline void arm_segment(rte_mbuf* m, unsigned s, iovec& iov) {
  if (s > 0) m->data_off = 0;  // a continuation needs no headroom
  iov = {rte_pktmbuf_mtod(m, void*), static_cast<size_t>(m->buf_len - m->data_off)};
}

// Chains the segments a receive of `len` bytes filled into one frame and returns it; the slots
// it used become nullptr (to be restocked), the others keep their mbufs for the next frame.
inline rte_mbuf* chain_received(rte_mbuf** segs, const iovec* iov, uint32_t len) {
  rte_mbuf* head = segs[0];
  uint32_t left = len;
  rte_mbuf* prev = nullptr;
  for (unsigned s = 0; s == 0 || left > 0; ++s) {
    rte_mbuf* m = segs[s];
    segs[s] = nullptr;
    m->data_len = static_cast<uint16_t>(std::min<size_t>(left, iov[s].iov_len));
    left -= m->data_len;
    if (prev != nullptr) {
      prev->next = m;
      ++head->nb_segs;
    }
    prev = m;
  }
  head->pkt_len = len;
  return head;
}

// Points iov[0..) at the segments of `m` (the flood path sends header + indirect-clone chains).
// Returns how many, or 0 when `m` has more than `max` segments.
inline unsigned frame_iovec(rte_mbuf* m, iovec* iov, unsigned max) {
  if (m->nb_segs > max) return 0;
  unsigned s = 0;
  for (rte_mbuf* seg = m; seg != nullptr; seg = seg->next, ++s)
    iov[s] = {rte_pktmbuf_mtod(seg, void*), seg->data_len};
  return s;
}

struct KernelPortCounters {
  uint64_t rx_gso = 0;           // super-frames received whole (TSO/GSO metadata kept)
  uint64_t rx_csum_partial = 0;  // frames whose checksum was still pending
  uint64_t rx_invalid = 0;       // inconsistent virtio-net header or truncated: dropped
  uint64_t rx_no_mbuf = 0;       // bursts cut short for want of mbufs
  uint64_t rx_kernel_drops = 0;  // dropped by the kernel before we read them (AF_PACKET only)
  uint64_t tx_errors = 0;        // frames the kernel refused (dropped, counted as tx_full)
  uint64_t rx_big = 0;           // BIG TCP frames (over 64 KiB) cut into 64 KiB pieces
};

}  // namespace lvs::ports
