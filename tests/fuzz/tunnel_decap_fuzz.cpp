// Outer headers of any shape through VXLAN and GRE decapsulation, in mbuf chains of up to three
// segments. Invariants: no crash or sanitizer report; a packet accepted as kOk leaves exactly a
// tail of the input (at least an Ethernet header) in the mbuf; every mbuf comes back to its pool.
// Input: [kind byte: even = VXLAN (UDP payload), odd = GRE (IPv4 packet)][cut 1][cut 2][packet...]
#include <rte_mbuf.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "dpdk/eal.hpp"
#include "dpdk/mempool.hpp"
#include "tunnels/underlay_endpoint.hpp"

namespace {

rte_mempool* g_pool = nullptr;

rte_mbuf* segment(const uint8_t* data, size_t len) {
  rte_mbuf* m = rte_pktmbuf_alloc(g_pool);
  if (!m) std::abort();
  if (len) std::memcpy(rte_pktmbuf_append(m, static_cast<uint16_t>(len)), data, len);
  return m;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  lvs::dpdk::EalOptions o;
  o.program = "tunnel_decap_fuzz";
  o.huge = lvs::dpdk::EalOptions::Huge::kOff;
  o.no_huge_memory_mb = 256;
  o.log_level = "*:error";
  if (!lvs::dpdk::init_eal(o).ok) std::abort();
  g_pool = lvs::dpdk::create_pool({.name = "fuzz", .mbufs = 1023, .cache = 0});
  if (!g_pool) std::abort();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 3) return 0;
  const auto kind =
      (data[0] & 1) ? lvs::tunnels::TunnelKind::kGre : lvs::tunnels::TunnelKind::kVxlan;
  const uint8_t* pkt = data + 3;
  const size_t len = std::min<size_t>(size - 3, 2000);  // fits one mbuf per segment
  // Up to three segments: cuts taken from the input, clamped and ordered.
  size_t c1 = std::min<size_t>(data[1] ? data[1] : len, len);
  size_t c2 = std::min<size_t>(c1 + data[2], len);
  rte_mbuf* head = segment(pkt, c1);
  if (c2 > c1 && rte_pktmbuf_chain(head, segment(pkt + c1, c2 - c1)) != 0) std::abort();
  if (len > c2 && rte_pktmbuf_chain(head, segment(pkt + c2, len - c2)) != 0) std::abort();
  uint32_t key = 0;
  const auto st = lvs::tunnels::TunnelReceiver::decap(kind, head, key);
  if (st == lvs::tunnels::DecapStatus::kOk) {
    const uint32_t left = head->pkt_len;
    if (left < 14 || left > len) std::abort();
    std::vector<uint8_t> inner(left);
    const void* p = rte_pktmbuf_read(head, 0, left, inner.data());
    if (!p || std::memcmp(p, pkt + (len - left), left) != 0)
      std::abort();  // not a tail of the input
  }
  rte_pktmbuf_free(head);
  if (lvs::dpdk::pool_in_use(g_pool) != 0) std::abort();  // leaked or double-freed
  return 0;
}
