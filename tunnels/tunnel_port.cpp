#include "tunnels/tunnel_port.hpp"

#include <unistd.h>

#include <atomic>

#include "tunnels/kernel_underlay.hpp"
#include "tunnels/port_underlay.hpp"

namespace lvs::tunnels {
namespace {

constexpr unsigned kRingSize = 2048;

}  // namespace

std::shared_ptr<TunnelPort> TunnelPort::open(const std::string& name, const TunnelConfig& config,
                                             rte_mempool* pool, std::string& error,
                                             std::shared_ptr<sw::Port> underlay_port) {
  static std::atomic<unsigned> seq{0};
  const std::string ring_name =
      "lvtun" + std::to_string(getpid() % 100000) + "_" + std::to_string(seq.fetch_add(1));
  // Several producers: the port underlay's rx filter may run on any PMD polling its port.
  rte_ring* ring = rte_ring_create(ring_name.c_str(), kRingSize, SOCKET_ID_ANY, RING_F_SC_DEQ);
  if (ring == nullptr) {
    error = "port " + name + ": cannot create its receive ring";
    return nullptr;
  }
  auto port = std::shared_ptr<TunnelPort>(new TunnelPort(name, config, ring));
  if (config.underlay_port.empty()) {
    port->underlay_ = KernelUnderlay::open(port->name(), config, ring, port->stats(), pool, error);
  } else if (!underlay_port) {
    error = "port " + name + ": options:underlay_port " + config.underlay_port + " is not open";
  } else {
    port->underlay_ =
        PortUnderlay::open(config, std::move(underlay_port), ring, port->stats(), pool, error);
  }
  if (!port->underlay_) {
    if (error.rfind("port ", 0) != 0) error = "port " + name + ": " + error;
    return nullptr;
  }
  return port;
}

TunnelPort::TunnelPort(std::string name, const TunnelConfig& config, rte_ring* ring)
    : Port(std::move(name)), config_(config), ring_(ring) {}

TunnelPort::~TunnelPort() {
  underlay_.reset();  // detached: nothing more is queued to the ring
  void* m;
  while (rte_ring_sc_dequeue(ring_, &m) == 0) rte_pktmbuf_free(static_cast<rte_mbuf*>(m));
  rte_ring_free(ring_);
}

uint16_t TunnelPort::rx_burst(uint16_t, rte_mbuf** pkts, uint16_t n) {
  return static_cast<uint16_t>(
      rte_ring_sc_dequeue_burst(ring_, reinterpret_cast<void**>(pkts), n, nullptr));
}

uint16_t TunnelPort::tx_burst(uint16_t q, rte_mbuf** pkts, uint16_t n) {
  underlay_->transmit(q, pkts, n);
  return n;
}

void TunnelPort::encapsulate(unsigned pmd, rte_mbuf** pkts, uint16_t n, sw::TxOutput& out) {
  uint64_t bytes = 0;  // as send() counts: every frame handed over, drops by reason after
  for (uint16_t i = 0; i < n; ++i) bytes += rte_pktmbuf_pkt_len(pkts[i]);
  stats().add_tx(n, bytes);
  underlay_->encapsulate(pmd, pkts, n, out);
}

}  // namespace lvs::tunnels
