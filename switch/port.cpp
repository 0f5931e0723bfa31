#include "switch/port.hpp"

#include "switch/tx_batch.hpp"

namespace lvs::sw {

uint64_t PortCounters::total_drops() const {
  uint64_t n = 0;
  for (uint64_t d : drops) n += d;
  return n;
}

PortCounters PortStats::read() const {
  PortCounters c;
  for (const Slot& s : slots_) {
    c.rx_packets += s.rx_packets.load(std::memory_order_relaxed);
    c.rx_bytes += s.rx_bytes.load(std::memory_order_relaxed);
    c.tx_packets += s.tx_packets.load(std::memory_order_relaxed);
    c.tx_bytes += s.tx_bytes.load(std::memory_order_relaxed);
    for (size_t i = 0; i < c.drops.size(); ++i)
      c.drops[i] += s.drops[i].load(std::memory_order_relaxed);
  }
  return c;
}

void PortStats::reset() {
  for (Slot& s : slots_) {
    s.rx_packets = s.rx_bytes = s.tx_packets = s.tx_bytes = 0;
    for (auto& d : s.drops) d = 0;
  }
}

Port::Port(std::string name, uint16_t tx_queues)
    : name_(std::move(name)), tx_queues_(tx_queues ? tx_queues : 1), txq_(new TxQueue[tx_queues_]) {
  for (uint16_t q = 0; q < tx_queues_; ++q) rte_spinlock_init(&txq_[q].lock);
}

Port::~Port() = default;

void Port::assign_tx_queues(unsigned pmds) {
  const bool control = control_sender_.load(std::memory_order_acquire);
  for (uint16_t q = 0; q < tx_queues_; ++q) {
    // PMD p sends on queue p % tx_queues_: how many PMDs land on q.
    const unsigned senders = pmds / tx_queues_ + (q < pmds % tx_queues_ ? 1 : 0);
    txq_[q].exclusive.store(!control && senders == 1, std::memory_order_release);
  }
}

void Port::add_control_sender() {
  control_sender_.store(true, std::memory_order_release);
  for (uint16_t q = 0; q < tx_queues_; ++q)
    txq_[q].exclusive.store(false, std::memory_order_release);
}

uint16_t Port::send(unsigned pmd, rte_mbuf** pkts, uint16_t n) {
  uint64_t bytes = 0;
  for (uint16_t i = 0; i < n; ++i) bytes += rte_pktmbuf_pkt_len(pkts[i]);
  return send(pmd, pkts, n, bytes);
}

uint16_t Port::send(unsigned pmd, rte_mbuf** pkts, uint16_t n, uint64_t bytes) {
  const uint16_t q = tx_queues_ == 1 ? 0 : static_cast<uint16_t>(pmd % tx_queues_);
  TxQueue& tq = txq_[q];
  uint16_t sent;
  if (tq.exclusive.load(std::memory_order_relaxed)) {
    sent = tx_burst(q, pkts, n);
  } else {
    rte_spinlock_lock(&tq.lock);  // uncontended unless PMDs outnumber queues
    sent = tx_burst(q, pkts, n);
    rte_spinlock_unlock(&tq.lock);
  }
  if (__builtin_expect(sent < n, 0)) {
    const uint32_t limit = max_frame_len();
    const uint64_t seg = RTE_MBUF_F_TX_TCP_SEG | RTE_MBUF_F_TX_UDP_SEG;  // the device splits those
    uint16_t too_big = 0;
    for (uint16_t i = sent; i < n; ++i) {
      const uint32_t len = rte_pktmbuf_pkt_len(pkts[i]);
      too_big += limit != 0 && len > limit && !(pkts[i]->ol_flags & seg);
      bytes -= len;
    }
    rte_pktmbuf_free_bulk(pkts + sent, n - sent);
    if (too_big) stats_.add_drop(DropReason::kTooBig, too_big);
    if (n - sent > too_big) stats_.add_drop(DropReason::kTxFull, n - sent - too_big);
  }
  stats_.add_tx(sent, bytes);
  return sent;
}

void Port::encapsulate(unsigned pmd, rte_mbuf** pkts, uint16_t n, TxOutput&) { send(pmd, pkts, n); }

}  // namespace lvs::sw
