#pragma once
// Port mirroring (Open vSwitch's Mirror table) and live capture, one mechanism: a mirror selects
// the frames some ports receive (select_src) and send (select_dst), optionally only those of
// some VLANs (select_vlan), and hands a copy of each to its output: a port of the bridge (then
// reserved for the mirror: it neither receives nor forwards normally) or a PcapSink
// (mirror_sink.hpp: a pcap file, or the stream of `vsctl capture`).
//
// Copies are the frames as they were on the wire: received frames before the pipeline touches
// them, sent frames as handed to the output port (after tag rewrite). A copy is a reference to
// the same mbuf (rte_pktmbuf_refcnt_update); a frame shared so is not writable, so a later retag
// copies its header (tag_rewrite.hpp) instead of editing what the mirror holds. A mirror output
// never pushes back: a port output's batch drops what its queue refuses, a sink's ring drops
// what does not fit; both are counted as the mirror's drops.
//
// Cost without mirrors: the rx side is one test of the input port's mask per burst
// (pipeline.cpp), the tx side one test of a slot's pointer per batch sent (tx_batch.hpp).
#include <rte_mbuf.h>

#include <atomic>
#include <bitset>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "switch/mirror_sink.hpp"
#include "switch/types.hpp"

namespace lvs::sw {

class TxBatches;

inline constexpr size_t kMaxMirrorsPerBridge = 32;  // one bit each in a port's masks

struct MirrorConfig {
  std::string name;
  bool select_all = false;                // every port, both directions
  std::vector<std::string> select_src;    // frames received on these ports
  std::vector<std::string> select_dst;    // frames sent on these ports
  std::vector<uint16_t> select_vlan;      // only these VLANs; empty: all
  std::string output_port;                // a port of the bridge, or
  std::shared_ptr<PcapSink> output_sink;  // a pcap file or stream
};

// Kept across snapshots (by bridge and mirror name): what vsctl shows.
struct MirrorCounters {
  std::atomic<uint64_t> packets{0};  // copies handed to the output
  std::atomic<uint64_t> drops{0};    // copies the output did not take (port outputs)
};

struct MirrorStats {
  std::string name;
  uint64_t packets = 0, drops = 0;
};

// One mirror as a PMD uses it.
struct MirrorOutput {
  uint32_t tx_slot = ~uint32_t{0};           // port output: its slot in the PMD's TX batches
  PcapSink* sink = nullptr;                  // or the sink
  const std::bitset<4096>* vlans = nullptr;  // null: every VLAN
  MirrorCounters* counters = nullptr;
};

// A bridge's mirrors, immutable, owned by its view (and kept alive with it).
struct MirrorTable {
  std::vector<MirrorOutput> outputs;        // bit i of a port's masks is outputs[i]
  std::vector<std::shared_ptr<void>> keep;  // sinks, VLAN sets and counters outputs point to
};

// What a TX slot mirrors: the frames sent on it (tx_mask over table's outputs), and whether the
// slot is itself a mirror output (what its port refuses is then counted as that mirror's drops).
struct SlotMirror {
  const MirrorTable* table = nullptr;
  uint32_t tx_mask = 0;
  uint16_t untagged_vid = 0;  // the VLAN an untagged frame sent on the port is in
  MirrorCounters* output_of = nullptr;
};

// The VLAN of a frame as sent: its tag's VID, else the port's untagged VLAN.
uint16_t sent_vlan(const rte_mbuf* m, uint16_t untagged_vid);

// Which of n frames one output takes, given each frame's VLAN (kVlanDrop: none, taken only by
// an output of every VLAN). Writes their indices to `picked`, returns how many.
uint16_t mirror_select(const MirrorOutput& out, rte_mbuf* const* pkts, const int* vlan, uint16_t n,
                       uint16_t* picked);

// Copies pkts[0, n) to every mirror in `mask`: received frames, each of VLAN vlan[i]
// (kVlanDrop when the input port refused it).
void mirror_received(const MirrorTable& table, uint32_t mask, rte_mbuf* const* pkts,
                     const int* vlan, uint16_t n, TxBatches& tx);
// Copies frames about to be sent on a slot to the slot's mirrors.
void mirror_sent(const SlotMirror& slot, rte_mbuf* const* pkts, uint16_t n, TxBatches& tx);

}  // namespace lvs::sw
