#include "ports/ring_port.hpp"

#include <rte_errno.h>

#include <algorithm>
#include <atomic>
#include <stdexcept>

namespace lvs::ports {
namespace {

std::string unique_ring_name(const char* role) {
  static std::atomic<unsigned> counter{0};
  return std::string("lvs") + role + std::to_string(counter.fetch_add(1));
}

rte_ring* make_ring(const char* role, unsigned size) {
  rte_ring* r = rte_ring_create(unique_ring_name(role).c_str(), size, SOCKET_ID_ANY, 0);
  if (r == nullptr)
    throw std::runtime_error(std::string("rte_ring_create: ") + rte_strerror(rte_errno));
  return r;
}

}  // namespace

RingPort::RingPort(std::string name, unsigned ring_size)
    : Port(std::move(name)), rx_(make_ring("rx", ring_size)), tx_(make_ring("tx", ring_size)) {}

RingPort::~RingPort() {
  drain();
  rte_ring_free(rx_);
  rte_ring_free(tx_);
}

uint16_t RingPort::rx_burst(uint16_t, rte_mbuf** pkts, uint16_t n) {
  return static_cast<uint16_t>(
      rte_ring_dequeue_burst(rx_, reinterpret_cast<void**>(pkts), n, nullptr));
}

uint16_t RingPort::tx_burst(uint16_t, rte_mbuf** pkts, uint16_t n) {
  const uint32_t limit = max_frame_len();
  if (limit == 0)
    return static_cast<uint16_t>(
        rte_ring_enqueue_burst(tx_, reinterpret_cast<void**>(pkts), n, nullptr));
  // Refused frames move behind the ones not taken, as a kernel port's do (Port::send counts them).
  constexpr uint16_t kMax = 64;  // Port::send passes at most a burst; the rest stay "not taken"
  rte_mbuf* fit[kMax];
  rte_mbuf* big[kMax];
  uint16_t nf = 0, nb = 0;
  n = std::min(n, kMax);
  for (uint16_t i = 0; i < n; ++i)
    (rte_pktmbuf_pkt_len(pkts[i]) > limit ? big[nb++] : fit[nf++]) = pkts[i];
  const auto sent = static_cast<uint16_t>(
      rte_ring_enqueue_burst(tx_, reinterpret_cast<void**>(fit), nf, nullptr));
  std::copy(fit, fit + nf, pkts);
  std::copy(big, big + nb, pkts + nf);
  return sent;
}

unsigned RingPort::inject(rte_mbuf** pkts, unsigned n) {
  return rte_ring_enqueue_burst(rx_, reinterpret_cast<void**>(pkts), n, nullptr);
}

unsigned RingPort::collect(rte_mbuf** pkts, unsigned n) {
  return rte_ring_dequeue_burst(tx_, reinterpret_cast<void**>(pkts), n, nullptr);
}

unsigned RingPort::pending_tx() const { return rte_ring_count(tx_); }

void RingPort::drain() {
  void* m;
  while (rte_ring_dequeue(rx_, &m) == 0) rte_pktmbuf_free(static_cast<rte_mbuf*>(m));
  while (rte_ring_dequeue(tx_, &m) == 0) rte_pktmbuf_free(static_cast<rte_mbuf*>(m));
}

}  // namespace lvs::ports
