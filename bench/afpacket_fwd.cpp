// afpacket_fwd: the smallest switch over kernel interfaces, for side-by-side comparisons
// (bench/containers_compare.sh): one bridge of "system" ports (AF_PACKET with virtio-net
// headers), default VLAN policy, one PMD thread. Runs until SIGINT/SIGTERM, then prints the
// ports' and the PMD's counters.
//
//   afpacket_fwd [--pmd-core N] [--busy-poll | --quiet-us N] [--yield] [--rx-ring | --afxdp]
//                [--no-qdisc-bypass] [--so-busy-poll US] [--rcvbuf BYTES] [--ready-file PATH]
//                IFACE...
//
// Default: the Datapath as shipped (adaptive PMD sleep: after quiet_us without a frame the PMD
// sleeps in poll() on the ports' sockets). --busy-poll: the PMD never sleeps. --yield: the ports
// yield the CPU when a burst finds their socket empty (AfPacketPort::set_yield_when_idle).
// --rx-ring: receive through the TPACKET_V2 ring instead of recvmmsg (--no-rx-ring: recvmmsg,
// the default); --no-qdisc-bypass,
// --so-busy-poll, --rcvbuf: the other socket options of AfPacketOptions (for measuring them).
// --afxdp: "afxdp" ports (AF_XDP, ports/afxdp_port.hpp) instead; the containers' tx offloads
// must then be off (no virtio-net header), and no per-port counters are printed.
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "dpdk/eal.hpp"
#include "dpdk/mempool.hpp"
#include "ports/afpacket_port.hpp"
#include "ports/afxdp_port.hpp"
#include "switch/datapath.hpp"

namespace {

std::atomic<bool> g_stop{false};
void on_signal(int) { g_stop = true; }

int usage() {
  std::fprintf(stderr,
               "usage: afpacket_fwd [--pmd-core N] [--busy-poll | --quiet-us N] [--yield] "
               "[--rx-ring | --afxdp] [--no-qdisc-bypass] [--so-busy-poll US] [--rcvbuf BYTES] "
               "[--ready-file PATH] IFACE...\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  lvs::sw::Datapath::Options o{.pmd_threads = 1};
  bool yield = false;
  bool afxdp = false;
  lvs::ports::AfPacketOptions po;
  std::string ready_file;
  std::vector<std::string> ifaces;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--pmd-core" && i + 1 < argc) {
      o.pmd_cores = {std::atoi(argv[++i])};
    } else if (a == "--busy-poll") {
      o.pmd_sleep = false;
    } else if (a == "--quiet-us" && i + 1 < argc) {
      o.quiet_us = static_cast<uint32_t>(std::atoi(argv[++i]));
    } else if (a == "--afxdp") {
      afxdp = true;
    } else if (a == "--rx-ring") {
      po.rx_ring = true;
    } else if (a == "--no-rx-ring") {
      po.rx_ring = false;
    } else if (a == "--no-qdisc-bypass") {
      po.qdisc_bypass = false;
    } else if (a == "--so-busy-poll" && i + 1 < argc) {
      po.busy_poll_us = std::atoi(argv[++i]);
    } else if (a == "--rcvbuf" && i + 1 < argc) {
      po.rcvbuf = std::atoi(argv[++i]);
    } else if (a == "--yield") {
      yield = true;
    } else if (a == "--ready-file" && i + 1 < argc) {
      ready_file = argv[++i];
    } else if (a.rfind("--", 0) == 0) {
      return usage();
    } else {
      ifaces.push_back(a);
    }
  }
  if (ifaces.size() < 2) return usage();

  lvs::dpdk::EalOptions eo;
  eo.program = "afpacket_fwd";
  eo.huge = lvs::dpdk::EalOptions::Huge::kOff;  // AF_PACKET copies anyway: no need for hugepages
  eo.no_huge_memory_mb = 512;
  eo.extra_args = {"--no-pci"};  // kernel interfaces only: never probe the host's NICs
  const auto& st = lvs::dpdk::init_eal(eo);
  if (!st.ok) {
    std::fprintf(stderr, "EAL: %s\n", st.error.c_str());
    return 1;
  }
  rte_mempool* frames = lvs::dpdk::create_pool(
      {.name = "fwd_frames", .mbufs = 2047, .cache = 64, .data_room = lvs::ports::kLargeDataRoom});
  rte_mempool* headers = lvs::dpdk::create_pool({.name = "fwd_headers", .mbufs = 4095});
  if (frames == nullptr || headers == nullptr) {
    std::fprintf(stderr, "cannot create mempools\n");
    return 1;
  }
  o.pool = headers;

  std::vector<std::shared_ptr<lvs::ports::AfPacketPort>> ports;
  lvs::sw::BridgeConfig br;
  br.name = "br0";
  for (const auto& ifname : ifaces) {
    std::string error;
    if (afxdp) {
      auto x = lvs::ports::AfXdpPort::open(ifname, ifname, headers, error);
      if (!x) {
        std::fprintf(stderr, "%s\n", error.c_str());
        return 1;
      }
      br.ports.push_back({.name = ifname, .port = x});
      continue;
    }
    auto p = lvs::ports::AfPacketPort::open(ifname, ifname, frames, error, po);
    if (!p) {
      std::fprintf(stderr, "%s\n", error.c_str());
      return 1;
    }
    p->set_yield_when_idle(yield);
    br.ports.push_back({.name = ifname, .port = p});
    ports.push_back(std::move(p));
  }
  lvs::sw::Datapath dp(o);
  lvs::sw::DatapathConfig cfg;
  cfg.bridges.push_back(br);
  if (auto err = dp.apply(cfg)) {
    std::fprintf(stderr, "%s\n", err->c_str());
    return 1;
  }
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  dp.start();
  if (!ready_file.empty()) std::ofstream(ready_file) << getpid() << "\n";
  while (!g_stop) pause();
  dp.stop();

  for (const auto& p : ports) {
    const auto c = p->stats().read();
    const auto k = p->kernel_counters();
    std::printf(
        "%s: rx %lu pkts %lu bytes (%.0f B/frame, %lu gso, %lu csum) tx %lu pkts, "
        "drops %lu, kernel drops %lu, tx errors %lu\n",
        p->name().c_str(), c.rx_packets, c.rx_bytes,
        c.rx_packets ? double(c.rx_bytes) / double(c.rx_packets) : 0.0, k.rx_gso, k.rx_csum_partial,
        c.tx_packets, c.total_drops(), k.rx_kernel_drops, k.tx_errors);
  }
  for (const auto& s : dp.pmd_stats()) {
    const double total = double(s.busy_cycles + s.idle_cycles + s.sleep_cycles);
    std::printf("pmd%u: %lu packets, %.1f%% busy, %.1f%% asleep, %lu iterations\n", s.index,
                s.packets, total > 0 ? 100.0 * double(s.busy_cycles) / total : 0.0,
                total > 0 ? 100.0 * double(s.sleep_cycles) / total : 0.0, s.iterations);
  }
  return 0;
}
