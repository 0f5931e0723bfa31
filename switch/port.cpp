#include "switch/port.hpp"

namespace lvs::sw {

uint64_t PortCounters::total_drops() const {
  uint64_t n = 0;
  for (uint64_t d : drops) n += d;
  return n;
}

PortCounters PortStats::read() const {
  PortCounters c;
  c.rx_packets = rx_packets_.load(std::memory_order_relaxed);
  c.rx_bytes = rx_bytes_.load(std::memory_order_relaxed);
  c.tx_packets = tx_packets_.load(std::memory_order_relaxed);
  c.tx_bytes = tx_bytes_.load(std::memory_order_relaxed);
  for (size_t i = 0; i < c.drops.size(); ++i)
    c.drops[i] = drops_[i].load(std::memory_order_relaxed);
  return c;
}

void PortStats::reset() {
  rx_packets_ = rx_bytes_ = tx_packets_ = tx_bytes_ = 0;
  for (auto& d : drops_) d = 0;
}

Port::Port(std::string name, uint16_t tx_queues)
    : name_(std::move(name)),
      tx_queues_(tx_queues ? tx_queues : 1),
      tx_locks_(new rte_spinlock_t[tx_queues_]) {
  for (uint16_t q = 0; q < tx_queues_; ++q) rte_spinlock_init(&tx_locks_[q]);
}

Port::~Port() = default;

uint16_t Port::send(unsigned pmd, rte_mbuf** pkts, uint16_t n) {
  const uint16_t q = static_cast<uint16_t>(pmd % tx_queues_);
  uint64_t bytes = 0;
  for (uint16_t i = 0; i < n; ++i) bytes += rte_pktmbuf_pkt_len(pkts[i]);
  rte_spinlock_lock(&tx_locks_[q]);  // uncontended unless PMDs outnumber queues
  const uint16_t sent = tx_burst(q, pkts, n);
  rte_spinlock_unlock(&tx_locks_[q]);
  if (__builtin_expect(sent < n, 0)) {
    for (uint16_t i = sent; i < n; ++i) {
      bytes -= rte_pktmbuf_pkt_len(pkts[i]);
      rte_pktmbuf_free(pkts[i]);
    }
    stats_.add_drop(DropReason::kTxFull, n - sent);
  }
  stats_.add_tx(sent, bytes);
  return sent;
}

}  // namespace lvs::sw
