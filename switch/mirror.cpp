#include "switch/mirror.hpp"

#include <rte_cycles.h>

#include "switch/frame.hpp"
#include "switch/tx_batch.hpp"

namespace lvs::sw {
namespace {

void deliver(const MirrorOutput& out, rte_mbuf* const* pkts, const uint16_t* picked, uint16_t k,
             TxBatches& tx) {
  rte_mbuf* copies[kBurst];
  for (uint16_t i = 0; i < k; ++i) {
    copies[i] = pkts[picked[i]];
    rte_pktmbuf_refcnt_update(copies[i], 1);  // a reference, not a copy
  }
  out.counters->packets.fetch_add(k, std::memory_order_relaxed);
  if (out.sink) {
    out.sink->offer(tx.pmd(), copies, k, rte_rdtsc());
  } else {
    for (uint16_t i = 0; i < k; ++i) tx.push(out.tx_slot, copies[i]);
  }
}

}  // namespace

uint16_t sent_vlan(const rte_mbuf* m, uint16_t untagged_vid) {
  if (m->data_len < kEthHeaderLen + kVlanTagLen) return untagged_vid;
  const auto* p = rte_pktmbuf_mtod(m, const uint8_t*);
  if (load_be16(p + 12) != kTpid8021Q) return untagged_vid;
  return load_be16(p + 14) & 0x0fff;
}

uint16_t mirror_select(const MirrorOutput& out, rte_mbuf* const* pkts, const int* vlan, uint16_t n,
                       uint16_t* picked) {
  uint16_t k = 0;
  if (out.sink && !out.sink->accepting()) return 0;
  // A null frame was already handed on (a BPDU queued for the spanning tree): nothing to copy.
  if (out.vlans == nullptr) {
    for (uint16_t i = 0; i < n; ++i)
      if (pkts[i] != nullptr) picked[k++] = i;
    return k;
  }
  for (uint16_t i = 0; i < n; ++i)
    if (pkts[i] != nullptr && vlan[i] >= 0 && vlan[i] < 4096 && out.vlans->test(static_cast<size_t>(vlan[i])))
      picked[k++] = i;
  return k;
}

void mirror_received(const MirrorTable& table, uint32_t mask, rte_mbuf* const* pkts,
                     const int* vlan, uint16_t n, TxBatches& tx) {
  uint16_t picked[kBurst];
  for (; mask; mask &= mask - 1) {
    const MirrorOutput& out = table.outputs[static_cast<size_t>(__builtin_ctz(mask))];
    if (const uint16_t k = mirror_select(out, pkts, vlan, n, picked)) deliver(out, pkts, picked, k, tx);
  }
}

void mirror_sent(const SlotMirror& slot, rte_mbuf* const* pkts, uint16_t n, TxBatches& tx) {
  int vlan[kBurst];
  bool have_vlans = false;
  uint16_t picked[kBurst];
  for (uint32_t mask = slot.tx_mask; mask; mask &= mask - 1) {
    const MirrorOutput& out = slot.table->outputs[static_cast<size_t>(__builtin_ctz(mask))];
    if (out.vlans && !have_vlans) {
      for (uint16_t i = 0; i < n; ++i) vlan[i] = sent_vlan(pkts[i], slot.untagged_vid);
      have_vlans = true;
    }
    if (const uint16_t k = mirror_select(out, pkts, vlan, n, picked)) deliver(out, pkts, picked, k, tx);
  }
}

}  // namespace lvs::sw
