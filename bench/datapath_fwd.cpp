// datapath_fwd: this switch's datapath on DPDK ports, for side-by-side runs with dpdk-testpmd
// (bench/scenarios/datapath.sh, scaling.sh). One bridge, one PMD thread per --pmd-cores entry.
//
//   datapath_fwd [--pmd-core N | --pmd-cores N,M] [--stations N] [--case C] [--vlan]
//                [--frame-size B] [--seconds S] [--source-only] [--huge on|off|auto]
//                [--eal "ARGS"] [--rate-limit KBPS] DEVARGS...
//
// Cases (--case): unicast (default; port 2k <-> 2k+1, learned unicast, untagged), push (port 2k
// an access port of VLAN 10 sends to trunk 2k+1: every frame gets a tag), pop (trunk 2k+1 sends
// tagged frames to access port 2k: every tag is removed), vlan (push and pop both ways, the old
// --vlan), trunk (both trunks, tagged both ways), flood (every port sends to destinations nobody
// has: each frame goes to every other port).
// --rate-limit KBPS: ingress policing and an egress limit of KBPS on every port (the cost of
// set limits; 4294967295 never drops at these rates).
// --stations N: N distinct (src MAC, dst MAC) stations per port (bench/station_source.hpp),
// all learned before the run (the table holds N x ports entries).
//
// Ports: net_null ports carry no content of their own, so they are wrapped in a
// StationSourcePort that writes every frame's headers afresh after each rx burst (its cycles
// are measured and reported apart: source_cycles_per_pkt; --source-only measures the source
// alone, forwarding port to port with no switch). Any other DPDK port (net_pcap with
// rx_pcap=FILE,infinite_rx=1 from bench/station_pcap.py, a NIC) forwards the frames it
// receives; its rx pool is sized for the ring, the tx rings, the caches and the frames its
// PMD keeps (bench/devarg_pool.hpp).
//
// Prints one line per second and a summary:
//   mpps=<median per-second tx Mpps> rx_mpps=... cycles_per_pkt=<switch, source excluded>
//   total_cycles_per_pkt=... source_cycles_per_pkt=... drops=<all> ... unaccounted=...
//   [drop_<reason>=N...]
// A drop of any reason, or a frame neither sent nor counted as dropped (unaccounted), fails the
// case: the summary is printed and the exit status is 3.
#include <pthread.h>
#include <rte_cycles.h>
#include <rte_ethdev.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "bench/devarg_pool.hpp"
#include "bench/station_source.hpp"
#include "dpdk/eal.hpp"
#include "dpdk/mempool.hpp"
#include "ports/ethdev_port.hpp"
#include "switch/datapath.hpp"

namespace {

using lvs::bench::StationPlan;
using lvs::bench::StationSourcePort;

enum class Case { kUnicast, kPush, kPop, kVlan, kTrunk, kFlood };

struct CaseInfo {
  const char* name;
  Case c;
};
constexpr CaseInfo kCases[] = {{"unicast", Case::kUnicast}, {"push", Case::kPush},
                               {"pop", Case::kPop},         {"vlan", Case::kVlan},
                               {"trunk", Case::kTrunk},     {"flood", Case::kFlood}};

bool access_port(Case c, size_t i) {
  return (c == Case::kPush || c == Case::kPop || c == Case::kVlan) && i % 2 == 0;
}
bool tagged_ingress(Case c, size_t i) {
  return c == Case::kTrunk || ((c == Case::kPop || c == Case::kVlan) && i % 2 == 1);
}
bool silent(Case c, size_t i) {
  return (c == Case::kPush && i % 2 == 1) || (c == Case::kPop && i % 2 == 0);
}
uint16_t fdb_vlan(Case c) {
  return c == Case::kUnicast || c == Case::kFlood ? 0 : lvs::bench::kBenchVlan;
}

int usage(const char* why) {
  std::fprintf(stderr,
               "datapath_fwd: %s\nusage: datapath_fwd [--pmd-core N | --pmd-cores N,M] "
               "[--stations N] [--case unicast|push|pop|vlan|trunk|flood] [--vlan] "
               "[--frame-size B] [--seconds S] [--source-only] [--huge on|off|auto] "
               "[--eal ARGS] [--rate-limit KBPS] DEVARGS...\n",
               why);
  return 2;
}

bool parse_uint(const char* s, unsigned long& v) {
  char* end = nullptr;
  v = std::strtoul(s, &end, 10);
  return end != s && *end == '\0';
}

void pin(int core) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(core, &set);
  pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<int> cores{1};
  Case kase = Case::kUnicast;
  const char* case_name = "unicast";
  unsigned long stations = 1, frame_size = 64, seconds = 10, rate_kbps = 0;
  bool source_only = false;
  std::string eal_extra;
  auto huge = lvs::dpdk::EalOptions::Huge::kAuto;
  std::vector<std::string> devargs;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const bool has = i + 1 < argc;
    if (a == "--pmd-core" && has) {
      cores = {std::atoi(argv[++i])};
    } else if (a == "--pmd-cores" && has) {
      cores.clear();
      std::stringstream list(argv[++i]);
      for (std::string c; std::getline(list, c, ',');) cores.push_back(std::atoi(c.c_str()));
      if (cores.empty()) return usage("--pmd-cores: empty list");
    } else if (a == "--stations" && has) {
      if (!parse_uint(argv[++i], stations) || stations == 0 || stations > lvs::bench::kMaxStations)
        return usage("--stations: a number from 1 to 16777216");
    } else if (a == "--case" && has) {
      const std::string c = argv[++i];
      bool found = false;
      for (const auto& ci : kCases)
        if (c == ci.name) kase = ci.c, case_name = ci.name, found = true;
      if (!found) return usage(("--case: unknown case '" + c + "'").c_str());
    } else if (a == "--rate-limit" && has) {  // both limits on every port (rate_limit.hpp)
      if (!parse_uint(argv[++i], rate_kbps) || rate_kbps == 0 || rate_kbps > lvs::sw::kMaxRateKbps)
        return usage("--rate-limit: kbit/s from 1 to 4294967295");
    } else if (a == "--vlan") {
      kase = Case::kVlan, case_name = "vlan";
    } else if (a == "--frame-size" && has) {
      if (!parse_uint(argv[++i], frame_size) || frame_size < 64 || frame_size > 9000)
        return usage("--frame-size: 64 to 9000 bytes");
    } else if (a == "--seconds" && has) {
      if (!parse_uint(argv[++i], seconds) || seconds == 0) return usage("--seconds: > 0");
    } else if (a == "--source-only") {
      source_only = true;
    } else if (a == "--eal" && has) {
      eal_extra = argv[++i];
    } else if (a == "--huge" && has) {
      const std::string h = argv[++i];
      if (h == "on")
        huge = lvs::dpdk::EalOptions::Huge::kOn;
      else if (h == "off")
        huge = lvs::dpdk::EalOptions::Huge::kOff;
      else if (h != "auto")
        return usage("--huge: on, off or auto");
    } else if (a.rfind("--", 0) == 0) {
      return usage(("unknown option " + a).c_str());
    } else {
      devargs.push_back(a);
    }
  }
  if (devargs.size() < 2) return usage("at least two ports");
  if (kase != Case::kFlood && devargs.size() % 2) return usage("an even number of ports");
  const size_t nports = devargs.size();
  const auto queues = static_cast<uint16_t>(cores.size());
  const auto lcores = static_cast<unsigned>(cores.size() + 1);

  // Pool sizes first (they decide the EAL's memory without hugepages).
  std::vector<unsigned> pool_mbufs;
  std::vector<bool> is_null;
  std::vector<uint16_t> frame_len;  // what the station source writes: the port's size= if given
  uint64_t total_mbufs = 0;
  for (auto& d : devargs) {
    const bool null = d.rfind("net_null", 0) == 0;
    const auto size = lvs::bench::devarg_value(d, "size");
    if (null && !size) d += ",size=" + std::to_string(frame_size);
    unsigned long len = frame_size;
    if (null && size && (!parse_uint(size->c_str(), len) || len < 64 || len > 9000))
      return usage(("size= of " + d + ": 64 to 9000 bytes").c_str());
    frame_len.push_back(static_cast<uint16_t>(len));
    std::string err;
    const auto kept = lvs::bench::frames_kept_by_pmd(d, err);
    if (!kept) {
      std::fprintf(stderr, "datapath_fwd: %s: %s\n", d.c_str(), err.c_str());
      return 1;
    }
    pool_mbufs.push_back(lvs::bench::rx_pool_mbufs(*kept, queues, nports, lcores));
    is_null.push_back(null);
    total_mbufs += pool_mbufs.back();
  }
  const unsigned copies_mbufs = lvs::bench::rx_pool_mbufs(0, queues, nports, lcores);
  total_mbufs += copies_mbufs;

  lvs::dpdk::EalOptions eo;
  eo.program = "datapath_fwd";
  // ~2.5 KB per mbuf (2 KB data room, headers, pool overhead) plus the EAL's own.
  eo.no_huge_memory_mb =
      static_cast<unsigned>(std::max<uint64_t>(1024, total_mbufs * 5 / 2048 + 512));
  eo.huge = huge;
  eo.extra_args = lvs::dpdk::split_args(eal_extra);
  const auto& st = lvs::dpdk::init_eal(eo);
  if (!st.ok) {
    std::fprintf(stderr, "%s\n", st.error.c_str());
    return 1;
  }
  rte_mempool* copies = lvs::dpdk::create_pool({.name = "fwd_copies", .mbufs = copies_mbufs});
  if (copies == nullptr) {
    std::fprintf(stderr, "datapath_fwd: cannot create the copies pool (%u mbufs)\n", copies_mbufs);
    return 1;
  }
  lvs::sw::DatapathConfig cfg;
  cfg.bridges.push_back({.name = "br0", .fdb = {}, .forward_bpdu = false, .ports = {}});
  cfg.bridges[0].fdb.max_entries =
      static_cast<uint32_t>(std::max<uint64_t>(8192, stations * nports + 1024));
  std::vector<std::shared_ptr<lvs::sw::Port>> ports;
  std::vector<StationSourcePort*> sources(nports, nullptr);
  for (size_t i = 0; i < nports; ++i) {
    rte_mempool* pool =
        lvs::dpdk::create_pool({.name = "fwd_rx" + std::to_string(i), .mbufs = pool_mbufs[i]});
    if (pool == nullptr) {
      std::fprintf(stderr, "datapath_fwd: cannot create the pool of port %zu (%u mbufs)\n", i,
                   pool_mbufs[i]);
      return 1;
    }
    std::string err;
    std::shared_ptr<lvs::sw::Port> port =
        lvs::ports::EthdevPort::open("p" + std::to_string(i), devargs[i], queues, pool, err);
    if (!port) {
      std::fprintf(stderr, "datapath_fwd: %s (pool of %u mbufs)\n", err.c_str(), pool_mbufs[i]);
      return 1;
    }
    if (is_null[i]) {
      const StationPlan plan{.port = i,
                             .partner = kase == Case::kFlood ? i : (i ^ 1),
                             .stations = static_cast<uint32_t>(stations),
                             .tagged = tagged_ingress(kase, i),
                             .unknown_dst = kase == Case::kFlood,
                             .silent = silent(kase, i),
                             .frame_len = frame_len[i]};
      auto src = std::make_shared<StationSourcePort>(port, plan);
      sources[i] = src.get();
      port = src;
    }
    ports.push_back(port);
    lvs::sw::VlanPolicy policy;  // default: trunk of every VLAN
    if (access_port(kase, i)) policy = lvs::sw::VlanPolicy::access(lvs::bench::kBenchVlan);
    cfg.bridges[0].ports.push_back({"p" + std::to_string(i), port, policy, true});
    cfg.bridges[0].ports.back().ingress_policing = {.rate_kbps = rate_kbps, .burst_kbit = 0};
    cfg.bridges[0].ports.back().egress_limit = {.rate_kbps = rate_kbps, .burst_kbit = 0};
  }

  if (source_only) {  // the source alone: rx + header rewrite + tx to the partner, one core
    std::atomic<bool> run{true};
    uint64_t frames = 0, cycles = 0;
    std::thread t([&] {
      pin(cores[0]);
      rte_thread_register();
      rte_mbuf* pkts[lvs::sw::kBurst];
      const uint64_t t0 = rte_rdtsc();
      while (run.load(std::memory_order_relaxed)) {
        for (size_t i = 0; i < nports; ++i) {
          const uint16_t n = ports[i]->rx_burst(0, pkts, lvs::sw::kBurst);
          const uint16_t sent = ports[(i ^ 1) < nports ? (i ^ 1) : 0]->tx_burst(0, pkts, n);
          if (sent < n) rte_pktmbuf_free_bulk(pkts + sent, n - sent);
          frames += n;
        }
      }
      cycles = rte_rdtsc() - t0;
    });
    std::this_thread::sleep_for(std::chrono::seconds(seconds));
    run = false;
    t.join();
    const double secs = static_cast<double>(cycles) / rte_get_tsc_hz();
    std::printf("source_only mpps=%.3f cycles_per_pkt=%.1f stations=%lu ports=%zu frame=%lu\n",
                frames / secs / 1e6, frames ? static_cast<double>(cycles) / frames : 0.0, stations,
                nports, frame_size);
    return 0;
  }

  lvs::sw::Datapath dp({.pmd_threads = static_cast<unsigned>(cores.size()),
                        .pmd_cores = cores,
                        .pool = copies,
                        .clock = nullptr});
  if (auto err = dp.apply(cfg)) {
    std::fprintf(stderr, "%s\n", err->c_str());
    return 1;
  }
  // Teach the table every station (as the first frames of any conversation would).
  auto fdb = dp.fdb("br0");
  const uint64_t now = dp.now_ms();
  for (size_t i = 0; i < nports; ++i)
    for (uint32_t j = 0; j < stations; ++j)
      fdb->learn(lvs::sw::Fdb::make_key(lvs::bench::station_mac(i, j), fdb_vlan(kase)),
                 static_cast<lvs::sw::PortIndex>(i), now);
  dp.start();

  auto total = [&](bool tx) {
    uint64_t n = 0;
    for (auto& p : ports) {
      const auto c = p->stats().read();
      n += tx ? c.tx_packets : c.rx_packets;
    }
    return n;
  };
  std::vector<double> samples, rx_samples;
  uint64_t last = total(true), last_rx = total(false);
  auto t_last = std::chrono::steady_clock::now();
  for (unsigned long s = 0; s < seconds; ++s) {
    std::this_thread::sleep_for(std::chrono::seconds(1));
    const uint64_t tx = total(true), rx = total(false);
    const auto t = std::chrono::steady_clock::now();
    const double dt = std::chrono::duration<double>(t - t_last).count();
    const double mpps = (tx - last) / dt / 1e6, rx_mpps = (rx - last_rx) / dt / 1e6;
    last = tx, last_rx = rx, t_last = t;
    if (s > 0 || seconds == 1) samples.push_back(mpps), rx_samples.push_back(rx_mpps);
    std::printf("second %lu: %.2f Mpps\n", s + 1, mpps);
    std::fflush(stdout);
  }
  dp.stop();

  // Every frame received is sent (fanout times) or freed with a reason.
  uint64_t rx = 0, tx = 0, drops = 0;
  std::vector<uint64_t> by_reason(static_cast<size_t>(lvs::sw::DropReason::kCount));
  for (auto& p : ports) {
    const auto c = p->stats().read();
    rx += c.rx_packets;
    tx += c.tx_packets;
    drops += c.total_drops();
    for (size_t r = 0; r < by_reason.size(); ++r) by_reason[r] += c.drops[r];
  }
  const uint64_t fanout = kase == Case::kFlood ? nports - 1 : 1;
  const int64_t unaccounted =
      static_cast<int64_t>(rx * fanout) - static_cast<int64_t>(tx) - static_cast<int64_t>(drops);
  uint64_t busy = 0, packets = 0, src_cycles = 0, src_frames = 0;
  for (const auto& p : dp.pmd_stats()) busy += p.busy_cycles, packets += p.packets;
  for (auto* s : sources)
    if (s) src_cycles += s->source_cycles(), src_frames += s->source_frames();
  const double total_cpp = packets ? static_cast<double>(busy) / packets : 0;
  const double src_cpp = packets ? static_cast<double>(src_cycles) / packets : 0;
  auto median = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v.empty() ? 0.0 : v[v.size() / 2];
  };
  std::printf(
      "mpps=%.3f rx_mpps=%.3f cycles_per_pkt=%.1f total_cycles_per_pkt=%.1f "
      "source_cycles_per_pkt=%.1f tsc_hz=%lu drops=%lu hairpin=%lu unaccounted=%ld hugepages=%d "
      "case=%s stations=%lu ports=%zu frame=%lu pmds=%zu fdb_entries=%lu",
      median(samples), median(rx_samples), total_cpp - src_cpp, total_cpp, src_cpp,
      rte_get_tsc_hz(), drops, by_reason[static_cast<size_t>(lvs::sw::DropReason::kHairpin)],
      static_cast<long>(unaccounted), st.hugepages ? 1 : 0, case_name, stations, nports,
      static_cast<unsigned long>(frame_len[0]), cores.size(),
      static_cast<unsigned long>(fdb->stats().entries));
  for (size_t r = 0; r < by_reason.size(); ++r)
    if (by_reason[r])
      std::printf(" drop_%s=%lu",
                  std::string(lvs::sw::to_string(static_cast<lvs::sw::DropReason>(r))).c_str(),
                  by_reason[r]);
  std::printf("\n");
  if (drops != 0 || unaccounted != 0 || rx == 0) {
    std::fprintf(stderr,
                 "datapath_fwd: FAILED: case %s must not drop: %lu dropped, %ld unaccounted, "
                 "%lu received\n",
                 case_name, drops, static_cast<long>(unaccounted), rx);
    return 3;
  }
  return 0;
}
