#pragma once
// Per-PMD output buffers, one per output port: frames are queued per packet and handed to the
// port per burst (when a buffer fills, and at the end of every PMD iteration).
#include <rte_mbuf.h>

#include <vector>

#include "switch/port.hpp"
#include "switch/types.hpp"

namespace lvs::sw {

class TxBatches {
 public:
  explicit TxBatches(unsigned pmd = 0) : pmd_(pmd) {}
  unsigned pmd() const { return pmd_; }

  // Sizes for `slots` output ports; slot i sends through ports[i]. Flushes what was queued.
  void reset(const std::vector<Port*>& ports);

  void push(uint32_t slot, rte_mbuf* m) {
    Batch& b = batches_[slot];
    if (!b.dirty) {  // once per flush, even when the batch fills and is sent meanwhile
      b.dirty = true;
      dirty_.push_back(slot);
    }
    b.pkts[b.n++] = m;
    if (__builtin_expect(b.n == kBurst, 0)) flush_slot(b);
  }
  void flush();
  // Frees everything queued without sending (port removal, shutdown).
  void discard();

 private:
  struct Batch {
    Port* port = nullptr;
    uint16_t n = 0;
    bool dirty = false;
    rte_mbuf* pkts[kBurst];
  };
  void flush_slot(Batch& b) {
    b.port->send(pmd_, b.pkts, b.n);
    b.n = 0;
  }
  unsigned pmd_;
  std::vector<Batch> batches_;
  std::vector<uint32_t> dirty_;
};

}  // namespace lvs::sw
