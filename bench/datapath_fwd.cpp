// datapath_fwd: this switch's datapath on DPDK ports, for side-by-side runs with dpdk-testpmd
// (bench/scenarios/datapath.sh, scaling.sh). One bridge, one PMD thread on --pmd-core, the ports'
// frames forwarded as learned unicast: port 2k talks to port 2k+1.
//
//   datapath_fwd [--pmd-core N | --pmd-cores N,M] [--vlan] [--seconds S] [--huge on|off|auto]
//                [--eal "ARGS"] DEVARGS...
//
// --vlan: port 2k is an access port of VLAN 10 and port 2k+1 a trunk whose frames carry tag 10,
// so every frame gets its tag pushed (access -> trunk) or popped (trunk -> access).
// --pmd-cores: one PMD thread per core listed; each port gets one queue per PMD, and the rx
// queues are spread over the PMDs (bench/scenarios/scaling.sh: Mpps vs PMD cores).
//
// net_null ports hand out mbufs from the rx queue's pool without writing them, so each port gets
// its own pool filled beforehand with one frame (src = the port's station, dst = its partner's):
// every frame the switch sees is a real learned-unicast frame. testpmd io/macswap do not read
// the frame, so the same ports are a fair comparison. Prints one line per second and a summary:
//   mpps=<median of per-second total tx Mpps> ...
#include <rte_cycles.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "dpdk/eal.hpp"
#include "dpdk/mempool.hpp"
#include "ports/ethdev_port.hpp"
#include "switch/datapath.hpp"

namespace {

uint64_t station(size_t port) { return 0x020000000100ULL + port; }

void write_mac(uint8_t* p, uint64_t mac) {
  for (int i = 0; i < 6; ++i) p[i] = static_cast<uint8_t>(mac >> (8 * (5 - i)));
}

constexpr uint16_t kVlan = 10;

// A valid IPv4 + UDP header of a 28-byte datagram (the pipeline drops IPv4 headers the kernel
// would refuse); the rest of the frame is padding, whatever size net_null gives it.
void write_ipv4_udp(uint8_t* ip) {
  const uint8_t hdr[20] = {0x45, 0, 0, 28, 0, 0, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2};
  std::memcpy(ip, hdr, sizeof hdr);
  uint32_t sum = 0;
  for (size_t i = 0; i < sizeof hdr; i += 2) sum += (uint32_t{hdr[i]} << 8) | hdr[i + 1];
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  ip[10] = static_cast<uint8_t>(~sum >> 8);
  ip[11] = static_cast<uint8_t>(~sum);
  const uint8_t udp[8] = {0x0f, 0xa0, 0, 9, 0, 8, 0, 0};  // 4000 -> 9, no payload, no checksum
  std::memcpy(ip + 20, udp, sizeof udp);
}

// Writes a 64-byte frame (with an 802.1Q tag of kVlan when `tagged`) at the default data offset
// of every mbuf in the pool.
bool prefill(rte_mempool* pool, uint64_t src, uint64_t dst, bool tagged) {
  std::vector<rte_mbuf*> all;
  rte_mbuf* m;
  while ((m = rte_pktmbuf_alloc(pool)) != nullptr) all.push_back(m);
  for (rte_mbuf* b : all) {
    uint8_t* p = rte_pktmbuf_mtod(b, uint8_t*);
    std::memset(p, 0, 60);
    write_mac(p, dst);
    write_mac(p + 6, src);
    uint8_t* type = p + 12;
    if (tagged) {
      p[12] = 0x81;
      p[13] = 0x00;
      p[14] = 0;
      p[15] = kVlan;
      type += 4;
    }
    type[0] = 0x08;  // IPv4 EtherType
    write_ipv4_udp(type + 2);
  }
  for (rte_mbuf* b : all) rte_pktmbuf_free(b);
  return !all.empty();
}

int usage() {
  std::fprintf(stderr,
               "usage: datapath_fwd [--pmd-core N | --pmd-cores N,M] [--vlan] [--seconds S] "
               "[--huge on|off|auto] [--eal ARGS] DEVARGS...\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<int> cores{1};
  bool vlan = false;
  int seconds = 10;
  std::string eal_extra;
  auto huge = lvs::dpdk::EalOptions::Huge::kAuto;
  std::vector<std::string> devargs;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--pmd-core" && i + 1 < argc)
      cores = {std::atoi(argv[++i])};
    else if (a == "--pmd-cores" && i + 1 < argc) {
      cores.clear();
      std::stringstream list(argv[++i]);
      for (std::string c; std::getline(list, c, ',');) cores.push_back(std::atoi(c.c_str()));
      if (cores.empty()) return usage();
    } else if (a == "--vlan")
      vlan = true;
    else if (a == "--seconds" && i + 1 < argc)
      seconds = std::atoi(argv[++i]);
    else if (a == "--eal" && i + 1 < argc)
      eal_extra = argv[++i];
    else if (a == "--huge" && i + 1 < argc) {
      const std::string h = argv[++i];
      if (h == "on")
        huge = lvs::dpdk::EalOptions::Huge::kOn;
      else if (h == "off")
        huge = lvs::dpdk::EalOptions::Huge::kOff;
      else if (h != "auto")
        return usage();
    } else if (a.rfind("--", 0) == 0)
      return usage();
    else
      devargs.push_back(a);
  }
  if (devargs.size() < 2 || devargs.size() % 2) return usage();

  lvs::dpdk::EalOptions eo;
  eo.program = "datapath_fwd";
  eo.no_huge_memory_mb = 1024;
  eo.huge = huge;
  eo.extra_args = lvs::dpdk::split_args(eal_extra);
  const auto& st = lvs::dpdk::init_eal(eo);
  if (!st.ok) {
    std::fprintf(stderr, "%s\n", st.error.c_str());
    return 1;
  }
  rte_mempool* copies = lvs::dpdk::create_pool({.name = "fwd_copies", .mbufs = 4095});
  lvs::sw::DatapathConfig cfg;
  cfg.bridges.push_back({.name = "br0", .fdb = {}, .forward_bpdu = false, .ports = {}});
  for (size_t i = 0; i < devargs.size(); ++i) {
    rte_mempool* pool =
        lvs::dpdk::create_pool({.name = "fwd_rx" + std::to_string(i), .mbufs = 8191});
    const bool trunk = vlan && (i % 2 == 1);
    if (pool == nullptr || !prefill(pool, station(i), station(i ^ 1), trunk)) {
      std::fprintf(stderr, "cannot create the pool of port %zu\n", i);
      return 1;
    }
    std::string err;
    auto port = lvs::ports::EthdevPort::open("p" + std::to_string(i), devargs[i],
                                             static_cast<uint16_t>(cores.size()), pool, err);
    if (!port) {
      std::fprintf(stderr, "%s\n", err.c_str());
      return 1;
    }
    lvs::sw::VlanPolicy policy;  // default: trunk of every VLAN
    if (vlan && !trunk) policy = lvs::sw::VlanPolicy::access(kVlan);
    cfg.bridges[0].ports.push_back({"p" + std::to_string(i), port, policy, true});
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
  for (size_t i = 0; i < devargs.size(); ++i)
    fdb->learn(lvs::sw::Fdb::make_key(station(i), vlan ? kVlan : 0),
               static_cast<lvs::sw::PortIndex>(i), dp.now_ms());
  dp.start();

  auto total_tx = [&] {
    uint64_t n = 0;
    for (auto& p : cfg.bridges[0].ports) n += p.port->stats().read().tx_packets;
    return n;
  };
  std::vector<double> samples;
  uint64_t last = total_tx();
  auto t_last = std::chrono::steady_clock::now();
  for (int s = 0; s < seconds; ++s) {
    std::this_thread::sleep_for(std::chrono::seconds(1));
    const uint64_t now = total_tx();
    const auto t = std::chrono::steady_clock::now();
    const double mpps = (now - last) / std::chrono::duration<double>(t - t_last).count() / 1e6;
    last = now;
    t_last = t;
    if (s > 0) samples.push_back(mpps);  // the first second includes start-up
    std::printf("second %d: %.2f Mpps\n", s + 1, mpps);
    std::fflush(stdout);
  }
  dp.stop();
  uint64_t drops = 0, hairpin = 0;
  for (auto& p : cfg.bridges[0].ports) {
    auto c = p.port->stats().read();
    drops += c.total_drops();
    hairpin += c.drops[static_cast<size_t>(lvs::sw::DropReason::kHairpin)];
  }
  const auto ps = dp.pmd_stats();
  uint64_t busy = 0, packets = 0;
  for (const auto& p : ps) {
    busy += p.busy_cycles;
    packets += p.packets;
  }
  const double cpp = packets ? static_cast<double>(busy) / packets : 0;
  std::sort(samples.begin(), samples.end());
  const double median = samples.empty() ? 0 : samples[samples.size() / 2];
  std::printf("mpps=%.3f cycles_per_pkt=%.1f tsc_hz=%lu drops=%lu hairpin=%lu hugepages=%d\n",
              median, cpp, rte_get_tsc_hz(), drops, hairpin, st.hugepages ? 1 : 0);
  return 0;
}
