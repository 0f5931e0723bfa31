#pragma once
// Shared by the datapath benchmarks: a port that frees what it is given (the fastest possible
// output) and a source that makes frames from a template (what an RX ring would hand over).
#include <benchmark/benchmark.h>
#include <rte_mbuf.h>

#include <cstdlib>
#include <cstring>
#include <vector>

#include "dpdk/eal.hpp"
#include "dpdk/mempool.hpp"
#include "switch/bridge_view.hpp"
#include "switch/pipeline.hpp"
#include "switch/port.hpp"
#include "switch/storm_control.hpp"
#include "switch/types.hpp"

namespace lvs::bench {

// The EAL (once per process) and one packet pool for the whole benchmark binary.
inline rte_mempool* bench_pool(const char* program) {
  static rte_mempool* p = [program] {
    dpdk::EalOptions o;
    o.program = program;
    o.log_level = "*:error";
    if (!dpdk::init_eal(o).ok) std::abort();
    return dpdk::create_pool({.name = "bench_pool", .mbufs = 32767, .cache = 256});
  }();
  return p;
}

// Reports a case that moved one burst of 32 frames per iteration: items/s and ns per frame.
inline void report_per_packet(benchmark::State& state) {
  state.SetItemsProcessed(state.iterations() * sw::kBurst);
  state.counters["ns/pkt"] =
      benchmark::Counter(static_cast<double>(state.iterations() * sw::kBurst),
                         benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

class SinkPort final : public sw::Port {
 public:
  explicit SinkPort(std::string name) : Port(std::move(name)) {}
  std::string_view kind() const override { return "sink"; }
  uint16_t rx_burst(uint16_t, rte_mbuf**, uint16_t) override { return 0; }
  uint16_t tx_burst(uint16_t, rte_mbuf** pkts, uint16_t n) override {
    rte_pktmbuf_free_bulk(pkts, n);
    return n;
  }
};

// Fills `n` fresh mbufs with `frame` (a 64-byte frame is one cache line of copying).
inline bool make_burst(rte_mempool* pool, const std::vector<uint8_t>& frame, rte_mbuf** pkts,
                       unsigned n) {
  if (rte_pktmbuf_alloc_bulk(pool, pkts, n) != 0) return false;
  for (unsigned i = 0; i < n; ++i) {
    char* p = rte_pktmbuf_append(pkts[i], static_cast<uint16_t>(frame.size()));
    std::memcpy(p, frame.data(), frame.size());
  }
  return true;
}

// The benchmark loop of a pipeline case: each iteration makes a burst of `frame`, sends it in
// on port 0 of `view` and flushes the outputs; reports ns per frame. With `storm`, port 0 has
// storm control (buckets refilled from the TSC every burst, as a PMD does).
inline void run_pipeline(benchmark::State& state, const sw::BridgeView& view, sw::TxBatches& tx,
                         const std::vector<uint8_t>& frame, rte_mempool* pool, uint64_t now_ms,
                         sw::StormBuckets* storm = nullptr) {
  sw::PipelineContext ctx{&tx, pool, now_ms};
  ctx.storm = storm;
  rte_mbuf* pkts[sw::kBurst];
  for (auto _ : state) {
    if (storm) ctx.now_cycles = rte_rdtsc();
    if (!make_burst(pool, frame, pkts, sw::kBurst)) state.SkipWithError("pool empty");
    sw::process_burst(view, 0, pkts, sw::kBurst, ctx);
    tx.flush();
  }
  report_per_packet(state);
}

}  // namespace lvs::bench
