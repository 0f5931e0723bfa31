// AfPacketPort's receive through its TPACKET_V2 ring (packet_rx_ring.hpp). Per burst: frames that
// fit a slot are copied from the ring into fresh mbufs (one bulk allocation, no syscall); frames
// the kernel marked TP_STATUS_COPY (longer than a slot) are fetched whole, in ring order, by one
// recvmmsg into the port's receive slots, as on the recvmmsg path.
#include <arpa/inet.h>
#include <sched.h>

#include <algorithm>
#include <cstring>

#include "ports/afpacket_port.hpp"
#include "ports/packet_vlan_tag.hpp"

namespace lvs::ports {
namespace {

// The ring's copy of a frame into one mbuf, or a chain where the pool's mbufs are small.
// nullptr when the pool ran dry (the frame is lost, counted as rx_no_mbuf by the caller).
rte_mbuf* copy_out(rte_mbuf* m, rte_mempool* pool, const uint8_t* data, uint32_t len) {
  rte_mbuf* last = m;
  uint32_t done = std::min<uint32_t>(len, rte_pktmbuf_tailroom(m));
  std::memcpy(rte_pktmbuf_mtod(m, uint8_t*), data, done);
  m->data_len = static_cast<uint16_t>(done);
  while (done < len) {
    rte_mbuf* seg = rte_pktmbuf_alloc(pool);
    if (seg == nullptr) {
      rte_pktmbuf_free(m);
      return nullptr;
    }
    seg->data_off = 0;
    const uint32_t part = std::min<uint32_t>(len - done, seg->buf_len);
    std::memcpy(rte_pktmbuf_mtod(seg, uint8_t*), data + done, part);
    seg->data_len = static_cast<uint16_t>(part);
    last->next = seg;
    last = seg;
    ++m->nb_segs;
    done += part;
  }
  m->pkt_len = len;
  return m;
}

}  // namespace

uint16_t AfPacketPort::rx_burst_ring(rte_mbuf** pkts, uint16_t n) {
  uint16_t ready = 0, copies = 0;
  while (ready < n) {
    const tpacket2_hdr* h = ring_.ready(ready);
    if (h == nullptr) break;
    copies += (h->tp_status & TP_STATUS_COPY) != 0;
    ++ready;
  }
  if (ready == 0) {
    if (yield_when_idle_.load(std::memory_order_relaxed)) sched_yield();
    return 0;
  }
  rte_mbuf* fresh[sw::kBurst];
  const uint16_t inline_frames = static_cast<uint16_t>(ready - copies);
  if (__builtin_expect(rte_pktmbuf_alloc_bulk(pool_, fresh, inline_frames) != 0, 0) ||
      __builtin_expect(copies > 0 && !stock_slots(copies), 0)) {
    if (inline_frames) rte_pktmbuf_free_bulk(fresh, inline_frames);
    counters_.rx_no_mbuf.fetch_add(1, std::memory_order_relaxed);
    return 0;  // the frames wait in the ring
  }
  // The long frames, whole from the socket's queue: the kernel queued each before it handed
  // its ring slot over, so they are all there, in ring order.
  const int got = copies ? std::max(receive_into_slots(copies), 0) : 0;
  uint16_t out = 0, f = 0, c = 0;
  VnetRxTally tally;
  uint64_t no_mbuf = 0;
  for (uint16_t i = 0; i < ready; ++i) {
    const tpacket2_hdr* h = ring_.ready(i);
    if (h->tp_status & TP_STATUS_COPY) {
      if (c < got) {
        if (rte_mbuf* m = take_slot(c, tally)) out = deliver(m, pkts, out, n, tally);
      } else {
        ++tally.invalid;  // queued whole but gone (cannot happen while the ring is read alone)
      }
      ++c;
      continue;
    }
    rte_mbuf* m = fresh[f++];
    if (__builtin_expect(h->tp_snaplen < h->tp_len || h->tp_snaplen < 14, 0)) {
      rte_pktmbuf_free(m);  // cut short (no room to queue it whole): unusable
      ++tally.invalid;
      continue;
    }
    m = copy_out(m, pool_, PacketRxRing::frame_data(h), h->tp_snaplen);
    if (__builtin_expect(m == nullptr, 0)) {
      ++no_mbuf;
      continue;
    }
    VnetHeader vnet;
    std::memcpy(&vnet, PacketRxRing::frame_vnet(h), sizeof(vnet));
    reinsert_vlan_tag(m, h->tp_status, h->tp_vlan_tpid, h->tp_vlan_tci, vnet);
    if (!tally.add(vnet_to_mbuf(vnet, m))) {
      rte_pktmbuf_free(m);
      continue;
    }
    out = deliver(m, pkts, out, n, tally);
  }
  ring_.release(ready);
  // Drained: the receive slots give their mbufs back (a quiet port parks none).
  if (ready < n) release_slots(0);
  if (no_mbuf) counters_.rx_no_mbuf.fetch_add(no_mbuf, std::memory_order_relaxed);
  count(tally);
  return out;
}

}  // namespace lvs::ports
