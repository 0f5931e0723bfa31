#include "switch/stp_hooks.hpp"

#include <rte_ring.h>

#include <atomic>
#include <cstdio>
#include <stdexcept>

namespace lvs::sw {
namespace {
std::atomic<unsigned> g_rings{0};
}

StpHooks::StpHooks() {
  for (auto& s : states_) s.store(kStpDiscarding, std::memory_order_relaxed);
  char name[RTE_RING_NAMESIZE];
  std::snprintf(name, sizeof(name), "lvs_bpdu_%u", g_rings.fetch_add(1));
  // Many PMDs enqueue, the control thread alone dequeues.
  ring_ = rte_ring_create(name, 1024, SOCKET_ID_ANY, RING_F_SC_DEQ);
  if (ring_ == nullptr) throw std::runtime_error("cannot create the BPDU queue");
}

StpHooks::~StpHooks() {
  rte_mbuf* m[32];
  while (unsigned n = take(m, 32))
    for (unsigned i = 0; i < n; ++i) rte_pktmbuf_free(m[i]);
  rte_ring_free(ring_);
}

bool StpHooks::offer(rte_mbuf* m, PortIndex port) {
  m->port = port;
  if (rte_ring_mp_enqueue(ring_, m) == 0) return true;
  overflows_.fetch_add(1, std::memory_order_relaxed);
  return false;
}

unsigned StpHooks::take(rte_mbuf** out, unsigned max) {
  return rte_ring_sc_dequeue_burst(ring_, reinterpret_cast<void**>(out), max, nullptr);
}

}  // namespace lvs::sw
