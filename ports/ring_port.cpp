#include "ports/ring_port.hpp"

#include <rte_errno.h>

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
  return static_cast<uint16_t>(
      rte_ring_enqueue_burst(tx_, reinterpret_cast<void**>(pkts), n, nullptr));
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
