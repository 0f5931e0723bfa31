#pragma once
// Where a mirror or a live capture hands its copies when they go to a pcap file or stream rather
// than to a port: one single-producer/single-consumer ring per PMD (rte_ring, elements of mbuf +
// TSC stamp), drained by the sink's own writer thread into a PcapWriter.
//
// A PMD never waits: offer() enqueues what fits and frees and counts the rest as drops, so a
// slow disk or a reader that stops reading costs the mirrored traffic nothing. The copies are
// references to the frames' own buffers (refcount, no copy); the writer reads them and drops its
// reference. The sink finishes (accepting() turns false at once, for every PMD) after
// `max_frames` records, when writing fails (the stream's reader went away: vsctl capture ended),
// or on stop(); the control plane then removes it from the configuration.
#include <rte_mbuf.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <thread>
#include <vector>

#include "switch/pcap_writer.hpp"

struct rte_ring;

namespace lvs::sw {

class PcapSink {
 public:
  struct Options {
    unsigned pmds = 1;
    // Per PMD, a power of two (holds one less). Each entry pins a packet buffer of the pool the
    // ports share, so this bounds what a stalled sink can take from them.
    uint32_t ring_size = 1024;
    uint64_t max_frames = 0;  // 0: no limit
    // Watch the writer's fd for its peer hanging up even while no frame comes (streams).
    bool watch_peer = false;
  };
  PcapSink(std::unique_ptr<PcapWriter> writer, Options options);
  ~PcapSink();  // stops the thread, frees what is still queued
  PcapSink(const PcapSink&) = delete;
  PcapSink& operator=(const PcapSink&) = delete;

  bool accepting() const { return !done_.load(std::memory_order_relaxed); }
  // PMD `pmd`: takes one reference to each of pkts[0, n), all stamped `tsc`.
  void offer(unsigned pmd, rte_mbuf* const* pkts, uint16_t n, uint64_t tsc);
  // Ends it: no more copies are taken; what is queued is freed, not written.
  void stop();
  bool finished() const { return done_.load(std::memory_order_acquire); }

  uint64_t written() const { return written_.load(std::memory_order_relaxed); }
  uint64_t dropped() const { return dropped_.load(std::memory_order_relaxed); }

 private:
  struct Item {
    rte_mbuf* m;
    uint64_t tsc;
  };
  void run();
  uint64_t to_ns(uint64_t tsc) const;

  std::unique_ptr<PcapWriter> writer_;
  Options options_;
  std::vector<rte_ring*> rings_;
  std::atomic<bool> done_{false};
  std::atomic<bool> quit_{false};
  std::atomic<uint64_t> written_{0}, dropped_{0};
  uint64_t tsc0_ = 0, ns0_ = 0, hz_ = 1;
  std::thread thread_;
};

}  // namespace lvs::sw
