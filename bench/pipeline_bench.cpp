// ns/packet of the L2 pipeline (switch/pipeline.hpp) on one core, 64-byte frames, bursts of 32:
// learned unicast, flood to 8 ports, access->trunk tag push, trunk->access tag pop, learned
// unicast over tables of 1 K..1 M MACs; and the FDB alone (lookup cost, bytes per entry: the
// formula of Fdb::memory_bytes() beside the heap and resident memory measured around filling it).
// Each case includes making the frames (alloc + 64-byte copy) and freeing them on output:
// BM_SourceSinkOnly measures that part alone, so the pipeline's own cost is the difference.
#include <benchmark/benchmark.h>
#include <malloc.h>
#include <unistd.h>

#include <fstream>
#include <memory>
#include <random>

#include "bench/bench_support.hpp"
#include "dpdk/eal.hpp"
#include "dpdk/mempool.hpp"
#include "switch/bridge_view.hpp"
#include "switch/pipeline.hpp"
#include "tests/support/frames.hpp"

namespace lvs::bench {
namespace {

rte_mempool* pool() { return bench_pool("pipeline_bench"); }

constexpr uint64_t kMacA = 0x02000000000aULL, kMacB = 0x02000000000bULL;
constexpr uint64_t kNow = 1'000'000;

std::string mac_str(uint64_t m) { return sw::MacAddr::from_u64(m).to_string(); }

// A bridge whose ports are sinks. Port 0 is the input.
struct Bench {
  sw::BridgeView view;
  sw::TxBatches tx;
  std::vector<std::shared_ptr<SinkPort>> sinks;

  Bench(const std::vector<sw::VlanPolicy>& policies, uint32_t fdb_size = 8192) {
    view.name = "br0";
    view.fdb = std::make_shared<sw::Fdb>(sw::FdbSettings{.max_entries = fdb_size, .aging_s = 300});
    std::vector<sw::Port*> tx_ports;
    std::vector<bool> eligible;
    for (size_t i = 0; i < policies.size(); ++i) {
      sinks.push_back(std::make_shared<SinkPort>("p" + std::to_string(i)));
      view.ports.push_back(
          {.port = sinks.back(), .tx_slot = static_cast<uint32_t>(i), .vlan = policies[i]});
      tx_ports.push_back(sinks.back().get());
      eligible.push_back(true);
    }
    view.flood.build(policies, eligible);
    tx.reset(tx_ports);
  }

  void run(benchmark::State& state, const std::vector<uint8_t>& frame,
           sw::StormBuckets* storm = nullptr) {
    run_pipeline(state, view, tx, frame, pool(), kNow, storm);
  }

  static void report(benchmark::State& state) { report_per_packet(state); }
};

std::vector<uint8_t> frame64(uint64_t dst, uint64_t src, std::optional<uint16_t> vid = {}) {
  return test::frame_bytes({.dst = mac_str(dst),
                            .src = mac_str(src),
                            .vid = vid,
                            .payload = static_cast<uint16_t>(vid ? 42 : 46)});
}

void BM_SourceSinkOnly(benchmark::State& state) {
  const auto frame = frame64(kMacB, kMacA);
  rte_mbuf* pkts[sw::kBurst];
  for (auto _ : state) {
    if (!make_burst(pool(), frame, pkts, sw::kBurst)) state.SkipWithError("pool empty");
    rte_pktmbuf_free_bulk(pkts, sw::kBurst);
  }
  Bench::report(state);
}
BENCHMARK(BM_SourceSinkOnly);

void BM_LearnedUnicast(benchmark::State& state) {
  Bench b(std::vector<sw::VlanPolicy>(2));
  b.view.fdb->learn(sw::Fdb::make_key(kMacB, 0), 1, kNow);
  b.run(state, frame64(kMacB, kMacA));
}
BENCHMARK(BM_LearnedUnicast);

void BM_FloodTo8Ports(benchmark::State& state) {
  Bench b(std::vector<sw::VlanPolicy>(9));
  b.run(state, frame64(0xffffffffffffULL, kMacA));
}
BENCHMARK(BM_FloodTo8Ports);

// The same flood through storm control whose limit is never reached: the cost of policing.
void BM_FloodTo8PortsStormControlled(benchmark::State& state) {
  pool();  // the EAL first: it measures the TSC frequency
  Bench b(std::vector<sw::VlanPolicy>(9));
  sw::StormBuckets storm({.broadcast_pps = sw::kMaxStormPps}, 1, rte_get_tsc_hz(), rte_rdtsc());
  b.run(state, frame64(0xffffffffffffULL, kMacA), &storm);
}
BENCHMARK(BM_FloodTo8PortsStormControlled);

// With RSTP on and every port forwarding: the cost of reading the ports' state bytes.
void BM_LearnedUnicastRstpForwarding(benchmark::State& state) {
  pool();  // the EAL first: the BPDU queue is an rte_ring
  Bench b(std::vector<sw::VlanPolicy>(2));
  b.view.stp = std::make_shared<sw::StpHooks>();
  for (sw::PortIndex i = 0; i < 2; ++i) b.view.stp->set_state(i, sw::kStpForwarding);
  b.view.fdb->learn(sw::Fdb::make_key(kMacB, 0), 1, kNow);
  b.run(state, frame64(kMacB, kMacA));
}
BENCHMARK(BM_LearnedUnicastRstpForwarding);

void BM_FloodTo8PortsRstpForwarding(benchmark::State& state) {
  pool();
  Bench b(std::vector<sw::VlanPolicy>(9));
  b.view.stp = std::make_shared<sw::StpHooks>();
  for (sw::PortIndex i = 0; i < 9; ++i) b.view.stp->set_state(i, sw::kStpForwarding);
  b.run(state, frame64(0xffffffffffffULL, kMacA));
}
BENCHMARK(BM_FloodTo8PortsRstpForwarding);

// Broadcasts over a storm-control rate: nearly all dropped and counted (the cost of a storm).
void BM_BroadcastStormDropped(benchmark::State& state) {
  pool();
  Bench b(std::vector<sw::VlanPolicy>(9));
  sw::StormBuckets storm({.broadcast_pps = 1000}, 1, rte_get_tsc_hz(), rte_rdtsc());
  b.run(state, frame64(0xffffffffffffULL, kMacA), &storm);
}
BENCHMARK(BM_BroadcastStormDropped);

void BM_AccessToTrunkPush(benchmark::State& state) {
  Bench b({sw::VlanPolicy::access(10), sw::VlanPolicy::trunk({10})});
  b.view.fdb->learn(sw::Fdb::make_key(kMacB, 10), 1, kNow);
  b.run(state, frame64(kMacB, kMacA));
}
BENCHMARK(BM_AccessToTrunkPush);

void BM_TrunkToAccessPop(benchmark::State& state) {
  Bench b({sw::VlanPolicy::trunk({10}), sw::VlanPolicy::access(10)});
  b.view.fdb->learn(sw::Fdb::make_key(kMacB, 10), 1, kNow);
  b.run(state, frame64(kMacB, kMacA, 10));
}
BENCHMARK(BM_TrunkToAccessPop);

// Learned unicast where every frame goes to another of N known MACs, in random order: the
// table no longer fits in cache at 1 M.
void BM_LearnedUnicastTable(benchmark::State& state) {
  const auto n = static_cast<uint32_t>(state.range(0));
  Bench b(std::vector<sw::VlanPolicy>(2), std::max<uint32_t>(n, 8192));
  std::vector<uint64_t> dsts(n);
  for (uint32_t i = 0; i < n; ++i) {
    dsts[i] = 0x020000000000ULL + (uint64_t{i} * 2654435761u % 0xffffffffu);
    b.view.fdb->learn(sw::Fdb::make_key(dsts[i], 0), 1, kNow);
  }
  std::shuffle(dsts.begin(), dsts.end(), std::mt19937_64(1));
  const auto frame = frame64(kMacB, kMacA);
  sw::PipelineContext ctx{&b.tx, pool(), kNow};
  rte_mbuf* pkts[sw::kBurst];
  size_t next = 0;
  for (auto _ : state) {
    if (!make_burst(pool(), frame, pkts, sw::kBurst)) state.SkipWithError("pool empty");
    for (auto* m : pkts) {
      const uint64_t d = dsts[next];
      next = next + 1 == n ? 0 : next + 1;
      uint8_t* p = rte_pktmbuf_mtod(m, uint8_t*);
      for (int i = 5; i >= 0; --i) p[5 - i] = static_cast<uint8_t>(d >> (8 * i));
    }
    sw::process_burst(b.view, 0, pkts, sw::kBurst, ctx);
    b.tx.flush();
  }
  Bench::report(state);
  state.counters["entries"] = static_cast<double>(b.view.fdb->stats().entries);
}
BENCHMARK(BM_LearnedUnicastTable)->Arg(1000)->Arg(100'000)->Arg(1'000'000);

// How cost grows with the number of ports on the bridge (bench/scenarios/scaling.sh): learned
// unicast to each of N-1 ports in turn (one known MAC per port, one burst per destination), and
// a broadcast flooded to all N-1 other ports (the cost of one frame is N-1 copies).
void BM_LearnedUnicastPorts(benchmark::State& state) {
  const auto n = static_cast<uint32_t>(state.range(0));
  Bench b{std::vector<sw::VlanPolicy>(n)};
  std::vector<std::vector<uint8_t>> frames;
  for (uint32_t i = 1; i < n; ++i) {
    b.view.fdb->learn(sw::Fdb::make_key(kMacB + i, 0), static_cast<sw::PortIndex>(i), kNow);
    frames.push_back(frame64(kMacB + i, kMacA));
  }
  sw::PipelineContext ctx{&b.tx, pool(), kNow};
  rte_mbuf* pkts[sw::kBurst];
  size_t next = 0;
  for (auto _ : state) {
    if (!make_burst(pool(), frames[next], pkts, sw::kBurst)) state.SkipWithError("pool empty");
    next = next + 1 == frames.size() ? 0 : next + 1;
    sw::process_burst(b.view, 0, pkts, sw::kBurst, ctx);
    b.tx.flush();
  }
  Bench::report(state);
}
BENCHMARK(BM_LearnedUnicastPorts)->Arg(2)->Arg(10)->Arg(100)->Arg(1000);

void BM_FloodPorts(benchmark::State& state) {
  Bench b{std::vector<sw::VlanPolicy>(static_cast<size_t>(state.range(0)))};
  b.run(state, frame64(0xffffffffffffULL, kMacA));
}
BENCHMARK(BM_FloodPorts)->Arg(2)->Arg(10)->Arg(100)->Arg(1000);

// What the heap has handed out (glibc: arena + mmap'd blocks) and what is resident now.
size_t heap_in_use() {
  const struct mallinfo2 m = mallinfo2();
  return m.uordblks + m.hblkhd;
}
size_t resident_bytes() {
  std::ifstream statm("/proc/self/statm");
  size_t total = 0, resident = 0;
  statm >> total >> resident;
  return resident * static_cast<size_t>(sysconf(_SC_PAGESIZE));
}

// bytes/entry: Fdb::memory_bytes(), the formula. heap_B/entry: what malloc handed out for the
// table, measured (mallinfo2 before making it and after filling it). rss_B/entry: how much
// resident memory grew meanwhile (pages actually touched; a lower bound when freed pages of an
// earlier case are reused).
void BM_FdbLookup(benchmark::State& state) {
  const auto n = static_cast<uint32_t>(state.range(0));
  std::vector<uint64_t> keys(n);
  for (uint32_t i = 0; i < n; ++i)
    keys[i] = sw::Fdb::make_key(0x020000000000ULL + uint64_t{i} * 7919, 1);
  // A fixed mmap threshold (glibc raises it after each free otherwise): every large array of the
  // table is mapped afresh, so resident memory grows by exactly the pages the table touches.
  static const bool fixed_threshold = mallopt(M_MMAP_THRESHOLD, 256 * 1024) == 1;
  benchmark::DoNotOptimize(fixed_threshold);
  const size_t heap0 = heap_in_use(), rss0 = resident_bytes();
  auto table = std::make_unique<sw::Fdb>(sw::FdbSettings{.max_entries = n, .aging_s = 300});
  sw::Fdb& fdb = *table;
  for (uint32_t i = 0; i < n; ++i) fdb.learn(keys[i], static_cast<sw::PortIndex>(i % 64), kNow);
  const double heap = static_cast<double>(heap_in_use() - heap0);
  const double rss = static_cast<double>(resident_bytes()) - static_cast<double>(rss0);
  if (fdb.stats().entries != n) state.SkipWithError("the table did not take every entry");
  std::shuffle(keys.begin(), keys.end(), std::mt19937_64(2));
  size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(fdb.lookup(keys[i], kNow));
    i = i + 1 == n ? 0 : i + 1;
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["bytes/entry"] = static_cast<double>(fdb.memory_bytes()) / n;
  state.counters["heap_B/entry"] = heap / n;
  state.counters["rss_B/entry"] = rss / n;
}
BENCHMARK(BM_FdbLookup)->Arg(1000)->Arg(100'000)->Arg(1'000'000);

}  // namespace
}  // namespace lvs::bench

BENCHMARK_MAIN();
