#include "switch/tx_batch.hpp"

#include "switch/mirror.hpp"

namespace lvs::sw {

void TxBatches::reset(const std::vector<Port*>& ports, const std::vector<SlotMirror>* mirrors) {
  flush();
  batches_.assign(ports.size(), Batch{});
  for (size_t i = 0; i < ports.size(); ++i) batches_[i].port = ports[i];
  if (mirrors)
    for (size_t i = 0; i < ports.size() && i < mirrors->size(); ++i)
      if ((*mirrors)[i].tx_mask || (*mirrors)[i].output_of) batches_[i].mirror = &(*mirrors)[i];
  for (size_t i = 0; i < ports.size(); ++i) {
    Port* via = ports[i]->egress_port();
    if (via == nullptr || via->egress_port() != nullptr) continue;  // no chains of tunnels
    for (size_t j = 0; j < ports.size(); ++j)
      if (ports[j] == via) {
        batches_[i].via = static_cast<uint32_t>(j);
        break;
      }
  }
  dirty_.clear();
  dirty_.reserve(ports.size());
}

void TxBatches::set_egress_limits(const std::vector<ByteBucket*>& limits) {
  for (size_t i = 0; i < batches_.size(); ++i)
    batches_[i].limit = i < limits.size() ? limits[i] : nullptr;
}

void TxBatches::flush() {
  // Encapsulating ports first: their outer frames join their egress port's batch before it
  // leaves. Indices, not iterators: flushing one slot may list another.
  for (size_t i = 0; i < dirty_.size(); ++i) {
    Batch& b = batches_[dirty_[i]];
    if (b.via != kNoSlot && b.n) flush_slot(b);
  }
  for (size_t i = 0; i < dirty_.size(); ++i) {
    Batch& b = batches_[dirty_[i]];
    if (b.n) flush_slot(b);
    b.queued = false;
  }
  dirty_.clear();
}

void TxBatches::flush_mirrored(Batch& b, uint16_t n, uint64_t bytes) {
  const SlotMirror& sm = *b.mirror;
  // Before sending: the port owns the frames once it has them.
  if (sm.tx_mask) mirror_sent(sm, b.pkts, n, *this);
  if (b.via == kNoSlot) {
    const uint16_t sent = b.port->send(pmd_, b.pkts, n, bytes);
    if (sm.output_of && sent < n)
      sm.output_of->drops.fetch_add(n - sent, std::memory_order_relaxed);
  } else {
    TxOutput out(*this, b.via);
    b.port->encapsulate(pmd_, b.pkts, n, out);
  }
}

void TxBatches::discard() {
  for (uint32_t slot : dirty_) {
    Batch& b = batches_[slot];
    rte_pktmbuf_free_bulk(b.pkts, b.n);
    b.n = 0;
    b.bytes = 0;
    b.queued = false;
  }
  dirty_.clear();
}

}  // namespace lvs::sw
