#include "switch/tx_batch.hpp"

namespace lvs::sw {

void TxBatches::reset(const std::vector<Port*>& ports) {
  flush();
  batches_.assign(ports.size(), Batch{});
  for (size_t i = 0; i < ports.size(); ++i) batches_[i].port = ports[i];
  dirty_.clear();
  dirty_.reserve(ports.size());
}

void TxBatches::flush() {
  for (uint32_t slot : dirty_) {
    Batch& b = batches_[slot];
    b.dirty = false;
    if (b.n) flush_slot(b);
  }
  dirty_.clear();
}

void TxBatches::discard() {
  for (uint32_t slot : dirty_) {
    Batch& b = batches_[slot];
    rte_pktmbuf_free_bulk(b.pkts, b.n);
    b.n = 0;
    b.dirty = false;
  }
  dirty_.clear();
}

}  // namespace lvs::sw
