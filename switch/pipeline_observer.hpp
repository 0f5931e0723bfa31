#pragma once
// The pipeline's decisions, reported as it takes them, and its side effects, done through its
// observer: a compile-time parameter of process_burst_observed() (pipeline.hpp).
//
// The PMDs run the DatapathObserver instantiation: every report is an empty inline function and
// every side effect is the datapath's own (learn into the FDB, count, queue for TX), so the
// compiler emits the same fast path as without an observer (bench/results/trace-*.md). The
// trace (trace.hpp) runs the other instantiation over the same code: it records each report and
// diverts the side effects (nothing learnt, nothing counted, nothing sent), so what `vsctl
// trace` prints and what the datapath does cannot diverge.
#include <rte_mbuf.h>

#include <cstdint>

#include "switch/fdb.hpp"
#include "switch/flood_table.hpp"
#include "switch/frame.hpp"
#include "switch/mirror.hpp"
#include "switch/neighbour_table.hpp"
#include "switch/port.hpp"
#include "switch/stp_hooks.hpp"
#include "switch/storm_control.hpp"
#include "switch/tx_batch.hpp"

namespace lvs::sw {

// Why a flood member does not get a copy (kNone: it does).
enum class FloodSkip : uint8_t { kNone, kInputPort, kSplitHorizon, kProtected, kStpNotForwarding };

// The one rule for who a flood skips (pipeline.cpp's flood() and the trace's report of it);
// flood() adds kStpNotForwarding for members the spanning tree keeps out.
inline FloodSkip flood_skip(const FloodTable::Member& mb, PortIndex in_port, uint8_t in_group,
                            bool in_protected) {
  if (mb.port == in_port) return FloodSkip::kInputPort;
  if (in_group != 0 && mb.group == in_group) return FloodSkip::kSplitHorizon;
  if (in_protected && mb.protected_port) return FloodSkip::kProtected;
  return FloodSkip::kNone;
}

// What the pipeline does per frame it learns, counts and outputs. Reports: no-ops.
struct DatapathObserver {
  // Side effects.
  static void learn(Fdb& fdb, const Fdb::Probe& p, PortIndex port, uint64_t now_ms) {
    fdb.learn(p, port, now_ms);
  }
  static void count_rx(Port& in, uint16_t n, uint64_t bytes) { in.stats().add_rx(n, bytes); }
  template <typename Drops>
  static void count_drops(Port& in, const Drops& drops) {
    drops.commit(in.stats());
  }
  static void output(TxBatches* tx, PortIndex /*port*/, uint32_t slot, rte_mbuf* m) {
    tx->push(slot, m);
  }
  // Copies of the received burst for the port's mirrors (mirror.hpp).
  static void mirror_received(const MirrorTable& t, uint32_t mask, rte_mbuf* const* pkts,
                              const int* vlan, uint16_t n, TxBatches* tx) {
    sw::mirror_received(t, mask, pkts, vlan, n, *tx);
  }
  // A BPDU for the spanning tree's queue; false when it is full (the caller counts the drop).
  static bool offer_bpdu(StpHooks& stp, rte_mbuf* m, PortIndex in) { return stp.offer(m, in); }
  // Reports.
  static void parsed(const FrameMeta& /*f*/) {}
  static void ingress(int /*vlan*/) {}
  // (The input port's spanning-tree state and the rate limits, which run outside the pipeline,
  // before it and at TX, are read by the trace itself, trace.cpp.)
  static void destination(bool /*looked_up*/, PortIndex /*out*/) {}
  static void storm(FloodKind /*kind*/, bool /*admitted*/) {}
  static void flooding(uint16_t /*vid*/) {}
  static void flood_member(const FloodTable::Member& /*mb*/, FloodSkip /*skip*/) {}
  // An ARP request / neighbour solicitation answered from the bridge's neighbour table with
  // `mac` (neighbour_suppress.hpp).
  static void neighbour_suppressed(NeighbourKind /*kind*/, uint64_t /*mac*/) {}
};

}  // namespace lvs::sw
