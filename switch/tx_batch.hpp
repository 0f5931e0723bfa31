#pragma once
// Per-PMD output buffers, one per output port: frames are queued per packet and handed to the
// port per burst (when a buffer fills, and at the end of every PMD iteration).
//
// A port with an egress_port() (a tunnel leaving by another port of the switch) is not sent to:
// its burst goes to its encapsulate(), which queues the outer frames to the batch of the port
// they leave by. flush() empties those ports first, so their outer frames and that port's own
// output leave together, in one send per burst of 32.
//
// A slot with an egress limit (rate_limit.hpp) polices its burst just before it leaves.
#include <rte_mbuf.h>

#include <vector>

#include "switch/port.hpp"
#include "switch/rate_limit.hpp"
#include "switch/types.hpp"

namespace lvs::sw {

struct SlotMirror;  // mirror.hpp

class TxBatches {
 public:
  explicit TxBatches(unsigned pmd = 0) : pmd_(pmd) {}
  unsigned pmd() const { return pmd_; }

  // Sizes for `slots` output ports; slot i sends through ports[i]. Flushes what was queued.
  // A port whose egress_port() is in `ports` (and leaves by no other port itself) encapsulates
  // into that slot; otherwise it is sent to as any port.
  // `mirrors`, when given, is by slot: what each slot's sent frames are mirrored to (mirror.hpp).
  void reset(const std::vector<Port*>& ports, const std::vector<SlotMirror>* mirrors = nullptr);

  void push(uint32_t slot, rte_mbuf* m) {
    Batch& b = batches_[slot];
    if (!b.queued) {
      b.queued = true;
      dirty_.push_back(slot);
    }
    b.pkts[b.n++] = m;
    b.bytes += rte_pktmbuf_pkt_len(m);  // the header is in cache now; send() need not read it
    if (__builtin_expect(b.n == kBurst, 0)) flush_slot(b);
  }
  void flush();
  // After reset(): slot i's egress bucket is limits[i] (null: none; empty: no slot has one).
  void set_egress_limits(const std::vector<ByteBucket*>& limits);
  // The clock egress limits read, set once per PMD iteration when a slot has a limit.
  void set_now_cycles(uint64_t now) { now_cycles_ = now; }
  // Frees everything queued without sending (port removal, shutdown).
  void discard();
  // The slot a port encapsulates into, or kNoSlot (tests).
  static constexpr uint32_t kNoSlot = ~uint32_t{0};
  uint32_t egress_slot(uint32_t slot) const { return batches_.at(slot).via; }

 private:
  struct Batch {
    Port* port = nullptr;
    uint32_t via = kNoSlot;  // the slot of port->egress_port()
    ByteBucket* limit = nullptr;  // egress limit of the port; null: none
    uint16_t n = 0;
    bool queued = false;  // listed in dirty_
    uint64_t bytes = 0;   // pkt_len of pkts[0, n)
    const SlotMirror* mirror = nullptr;  // null unless the slot is mirrored or a mirror output
    rte_mbuf* pkts[kBurst];
  };
  void flush_slot(Batch& b);
  void flush_mirrored(Batch& b, uint16_t n, uint64_t bytes);  // tx_batch.cpp: mirrors, sends, counts a mirror output's drops
  unsigned pmd_;
  uint64_t now_cycles_ = 0;
  std::vector<Batch> batches_;
  std::vector<uint32_t> dirty_;
};

// Where an encapsulating port queues its outer frames: the batch of its egress port.
class TxOutput {
 public:
  TxOutput(TxBatches& batches, uint32_t slot) : batches_(&batches), slot_(slot) {}
  void push(rte_mbuf* m) { batches_->push(slot_, m); }

 private:
  TxBatches* batches_;
  uint32_t slot_;
};

inline void TxBatches::flush_slot(Batch& b) {
  uint16_t n = b.n;
  uint64_t bytes = b.bytes;
  b.n = 0;  // what encapsulate() queues goes to another slot
  b.bytes = 0;
  if (__builtin_expect(b.limit != nullptr, 0)) {  // before mirrors: they show what is sent
    const uint16_t kept =
        b.limit->police(b.pkts, n, now_cycles_, b.port->stats(), DropReason::kEgressShaped);
    if (kept == 0) return;
    if (kept != n) {
      n = kept;
      bytes = 0;
      for (uint16_t i = 0; i < n; ++i) bytes += rte_pktmbuf_pkt_len(b.pkts[i]);
    }
  }
  if (__builtin_expect(b.mirror != nullptr, 0)) return flush_mirrored(b, n, bytes);
  if (b.via == kNoSlot) {
    b.port->send(pmd_, b.pkts, n, bytes);
  } else {
    TxOutput out(*this, b.via);
    b.port->encapsulate(pmd_, b.pkts, n, out);
  }
}

}  // namespace lvs::sw
