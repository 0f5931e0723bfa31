#pragma once
// A position in an mbuf chain that moves forward: the segmentation of a TSO super-frame
// (inner_gso.hpp) and the iovec of each piece (tunnel_encap.hpp) visit the frame's bytes in
// order, so each piece starts where the previous one ended instead of walking the chain from its
// head again (a 64 KiB frame in 2 KiB mbufs is 33 segments; 45 pieces walked from the head touch
// ~750 mbuf headers twice).
#include <rte_byteorder.h>
#include <rte_ip.h>
#include <rte_mbuf.h>

#include <cstdint>

namespace lvs::tunnels {

struct MbufCursor {
  const rte_mbuf* seg = nullptr;  // nullptr: past the end
  uint32_t off = 0;               // within seg

  // At byte `at` of the frame `m` (walks from the head once).
  static MbufCursor at(const rte_mbuf* m, uint32_t at) {
    MbufCursor c{m, at};
    c.settle();
    return c;
  }
  // Steps onto the next segment while at the end of this one (empty segments included).
  void settle() {
    while (seg != nullptr && off >= seg->data_len) {
      off -= seg->data_len;
      seg = seg->next;
    }
  }
  // Ones' complement sum of the next `len` bytes (as rte_raw_cksum of them laid out flat: memory
  // order, folded to 16 bits), moving past them. False when the frame ends first.
  bool sum(uint32_t len, uint16_t& out) {
    uint32_t total = 0, done = 0;
    while (len > 0) {
      settle();
      if (seg == nullptr) return false;
      const uint32_t take = len < seg->data_len - off ? len : seg->data_len - off;
      uint32_t s = rte_raw_cksum(rte_pktmbuf_mtod_offset(seg, const uint8_t*, off), take);
      if (done & 1) s = rte_bswap16(static_cast<uint16_t>(s));  // an odd start: bytes swap roles
      total += s;
      done += take;
      off += take;
      len -= take;
    }
    total = (total & 0xffff) + (total >> 16);
    total = (total & 0xffff) + (total >> 16);
    out = static_cast<uint16_t>(total);
    return true;
  }
};

}  // namespace lvs::tunnels
