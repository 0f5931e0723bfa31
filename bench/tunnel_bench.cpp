// ns/packet of tunnel encapsulation and decapsulation on one core, bursts of 32 64-byte frames,
// side by side with the pipeline's learned-unicast case (the same measurement as
// pipeline_bench's BM_LearnedUnicast: frames made, forwarded, freed) in the same run.
// Encap = flow hash + offload resolution + the message build (UDP/VXLAN or GRE header, iovec);
// decap = header checks + strip + (remote, key) lookup. The sendmmsg/recvmmsg system calls are
// not included: the kernel's per-packet cost shows in bench/tunnel_compare.sh.
// Needs CAP_NET_RAW (the tunnel port opens its raw sockets on 127.0.0.1).
// BM_VxlanPortUnderlayDatapath: the whole PMD iteration of options:underlay=port (root: it makes
// a network namespace of its own for the route): 32 frames in, to 4 VXLAN tunnels leaving by one
// uplink port; reports ns/packet and the uplink's sends per burst.
#include <benchmark/benchmark.h>
#include <sched.h>

#include <atomic>
#include <unordered_map>

#include "bench/bench_support.hpp"
#include "dpdk/eal.hpp"
#include "dpdk/mempool.hpp"
#include "switch/bridge_view.hpp"
#include "switch/datapath.hpp"
#include "switch/pipeline.hpp"
#include "tests/support/frames.hpp"
#include "tests/tunnels/port_underlay_setup.hpp"
#include "tunnels/inner_frame.hpp"
#include "tunnels/port_underlay.hpp"
#include "tunnels/tunnel_encap.hpp"
#include "tunnels/tunnel_port.hpp"
#include "tunnels/underlay_endpoint.hpp"
#include "tunnels/vxlan_header.hpp"

namespace lvs::bench {
namespace {

rte_mempool* pool() { return bench_pool("tunnel_bench"); }

void report(benchmark::State& state) { report_per_packet(state); }

// A 64-byte TCP/IPv4 frame.
std::vector<uint8_t> tcp64() {
  auto f =
      test::frame_bytes({.dst = "02:00:00:00:00:0b", .src = "02:00:00:00:00:0a", .payload = 46});
  uint8_t* ip = &f[14];
  ip[0] = 0x45;
  ip[3] = 46;
  ip[8] = 64;
  ip[9] = 6;
  ip[12] = 10, ip[15] = 1, ip[16] = 10, ip[19] = 2;
  ip[20] = 0x04, ip[22] = 0x00, ip[23] = 80, ip[32] = 0x50;
  return f;
}

void BM_LearnedUnicastReference(benchmark::State& state) {
  sw::BridgeView view;
  sw::TxBatches tx;
  view.name = "br0";
  view.fdb = std::make_shared<sw::Fdb>(sw::FdbSettings{.max_entries = 8192, .aging_s = 300});
  std::vector<std::shared_ptr<SinkPort>> sinks;
  std::vector<sw::Port*> tx_ports;
  const std::vector<sw::VlanPolicy> policies(2);
  for (size_t i = 0; i < 2; ++i) {
    sinks.push_back(std::make_shared<SinkPort>("p" + std::to_string(i)));
    view.ports.push_back(
        {.port = sinks.back(), .tx_slot = static_cast<uint32_t>(i), .vlan = policies[i]});
    tx_ports.push_back(sinks.back().get());
  }
  view.flood.build(policies, {true, true});
  tx.reset(tx_ports);
  view.fdb->learn(sw::Fdb::make_key(0x02000000000bULL, 0), 1, 1'000'000);
  run_pipeline(state, view, tx, tcp64(), pool(), 1'000'000);
}
BENCHMARK(BM_LearnedUnicastReference);

void encap(benchmark::State& state, tunnels::TunnelKind kind,
           std::map<std::string, std::string> options, uint64_t ol_flags = 0) {
  options["remote_ip"] = "127.0.0.2";
  options["local_ip"] = "127.0.0.1";
  if (kind == tunnels::TunnelKind::kVxlan) options["dst_port"] = "47891";
  tunnels::TunnelConfig cfg;
  if (auto e = tunnels::parse_tunnel_options(kind, options, cfg)) {
    state.SkipWithError(e->c_str());
    return;
  }
  const tunnels::TunnelEncap encap(cfg);
  const auto frame = tcp64();
  rte_mbuf* pkts[sw::kBurst];
  alignas(8) static uint8_t hdr[sw::kBurst][tunnels::TunnelEncap::kHeaderRoom];
  static iovec iov[sw::kBurst][tunnels::TunnelEncap::kMaxIov];
  for (auto _ : state) {
    if (!make_burst(pool(), frame, pkts, sw::kBurst)) state.SkipWithError("pool empty");
    for (unsigned i = 0; i < sw::kBurst; ++i) {
      rte_mbuf* m = pkts[i];
      if (ol_flags) {  // a checksum left to us, as AF_PACKET hands over most TCP frames
        m->ol_flags = ol_flags;
        m->l2_len = 14;
        m->l3_len = 20;
        m->l4_len = 20;
      }
      const auto info = tunnels::inspect_inner(m);
      const uint16_t sport = tunnels::flow_source_port(info.hash);
      tunnels::for_each_inner_segment(m, [&](const tunnels::InnerSegment& s) {
        benchmark::DoNotOptimize(encap.build(m, s, sport, hdr[i], iov[i]));
      });
    }
    rte_pktmbuf_free_bulk(pkts, sw::kBurst);
  }
  report(state);
}

void BM_VxlanEncap(benchmark::State& s) { encap(s, tunnels::TunnelKind::kVxlan, {{"key", "42"}}); }
BENCHMARK(BM_VxlanEncap);
void BM_VxlanEncapTcpChecksum(benchmark::State& s) {
  encap(s, tunnels::TunnelKind::kVxlan, {{"key", "42"}},
        RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_TCP_CKSUM);
}
BENCHMARK(BM_VxlanEncapTcpChecksum);
void BM_GreEncap(benchmark::State& s) { encap(s, tunnels::TunnelKind::kGre, {{"key", "42"}}); }
BENCHMARK(BM_GreEncap);
void BM_GreEncapWithChecksum(benchmark::State& s) {
  encap(s, tunnels::TunnelKind::kGre, {{"key", "42"}, {"csum", "true"}});
}
BENCHMARK(BM_GreEncapWithChecksum);

void BM_VxlanDecap(benchmark::State& state) {
  std::vector<uint8_t> pkt(8);
  tunnels::write_vxlan_header(pkt.data(), 42);
  const auto inner = tcp64();
  pkt.insert(pkt.end(), inner.begin(), inner.end());
  // The endpoint's demultiplexer: (remote << 32 | key) -> port.
  std::unordered_map<uint64_t, int> flows;
  for (uint32_t k = 0; k < 16; ++k)
    flows[uint64_t{0x0a000002} << 32 | (40 + k)] = static_cast<int>(k);
  rte_mbuf* pkts[sw::kBurst];
  for (auto _ : state) {
    if (!make_burst(pool(), pkt, pkts, sw::kBurst)) state.SkipWithError("pool empty");
    for (rte_mbuf* m : pkts) {
      uint32_t key = 0;
      if (tunnels::TunnelReceiver::decap(tunnels::TunnelKind::kVxlan, m, key) !=
          tunnels::DecapStatus::kOk)
        state.SkipWithError("decap failed");
      benchmark::DoNotOptimize(flows.find(uint64_t{0x0a000002} << 32 | key));
    }
    rte_pktmbuf_free_bulk(pkts, sw::kBurst);
  }
  report(state);
}
BENCHMARK(BM_VxlanDecap);

// A port that hands over a burst of one frame template per rx_burst (32 frames to `dsts`
// destinations in turn).
class TemplateSource final : public sw::Port {
 public:
  TemplateSource(std::vector<std::vector<uint8_t>> frames)
      : Port("src"), frames_(std::move(frames)) {}
  std::string_view kind() const override { return "source"; }
  uint16_t rx_burst(uint16_t, rte_mbuf** pkts, uint16_t n) override {
    if (rte_pktmbuf_alloc_bulk(pool(), pkts, n) != 0) return 0;
    for (uint16_t i = 0; i < n; ++i) {
      const auto& f = frames_[i % frames_.size()];
      std::memcpy(rte_pktmbuf_append(pkts[i], static_cast<uint16_t>(f.size())), f.data(), f.size());
    }
    return n;
  }
  uint16_t tx_burst(uint16_t, rte_mbuf** pkts, uint16_t n) override {
    rte_pktmbuf_free_bulk(pkts, n);
    return n;
  }

 private:
  std::vector<std::vector<uint8_t>> frames_;
};

// The uplink: frees what it is sent, counts the sends.
class UplinkSink final : public sw::Port {
 public:
  UplinkSink() : Port("uplink") {}
  std::string_view kind() const override { return "sink"; }
  uint16_t rx_burst(uint16_t, rte_mbuf**, uint16_t) override { return 0; }
  uint16_t tx_burst(uint16_t, rte_mbuf** pkts, uint16_t n) override {
    sends.fetch_add(1, std::memory_order_relaxed);
    rte_pktmbuf_free_bulk(pkts, n);
    return n;
  }
  sw::PortStatus status() const override {
    sw::PortStatus s;
    s.mac = tunnels::testing::kUplinkMac.to_string();
    return s;
  }
  std::atomic<uint64_t> sends{0};
};

void BM_VxlanPortUnderlayDatapath(benchmark::State& state) {
  // A namespace of its own with 10.99.0.1/24 on a veth: the route the tunnels look up.
  static const bool netns = [] {
    return unshare(CLONE_NEWNET) == 0 &&
           std::system(
               "ip link set lo up && ip link add lvbd0 type veth peer name lvbd1 && "
               "ip link set lvbd1 up && "
               "ip addr add 10.99.0.1/24 dev lvbd0 && ip link set lvbd0 up") == 0;
  }();
  if (!netns) {
    state.SkipWithError("needs root (a network namespace with a route)");
    return;
  }
  constexpr int kTunnels = 4;
  auto uplink = std::make_shared<UplinkSink>();
  std::vector<std::shared_ptr<tunnels::TunnelPort>> tuns;
  std::vector<std::vector<uint8_t>> frames;
  for (int t = 0; t < kTunnels; ++t) {
    tunnels::TunnelConfig cfg;
    const std::string remote = "10.99.0." + std::to_string(2 + t);
    if (auto e = tunnels::parse_tunnel_options(tunnels::TunnelKind::kVxlan,
                                               {{"remote_ip", remote},
                                                {"local_ip", "10.99.0.1"},
                                                {"key", "42"},
                                                {"underlay", "port"},
                                                {"underlay_port", "uplink"}},
                                               cfg)) {
      state.SkipWithError(e->c_str());
      return;
    }
    std::string error;
    auto port = tunnels::TunnelPort::open("t" + std::to_string(t), cfg, pool(), error, uplink);
    if (!port) {
      state.SkipWithError(error.c_str());
      return;
    }
    tunnels::testing::learn_next_hop(*port, pool());
    tuns.push_back(port);
    auto f = tcp64();
    f[5] = static_cast<uint8_t>(0x10 + t);  // dst 02:00:00:00:00:1<t>, behind tunnel t
    frames.push_back(f);
  }
  // Interleaved destinations: each burst holds frames for every tunnel.
  auto src = std::make_shared<TemplateSource>(frames);
  sw::Datapath dp({.pmd_threads = 1, .pool = pool(), .pmd_sleep = false});
  if (auto e = dp.apply(tunnels::testing::overlay_and_underlay(src, tuns, uplink))) {
    state.SkipWithError(e->c_str());
    return;
  }
  tunnels::testing::learn_behind_tunnels(dp, tuns, 0x020000000010ULL);
  dp.poll_once(0);
  const uint64_t sends0 = uplink->sends.load();
  for (auto _ : state) dp.poll_once(0);
  report(state);
  state.counters["uplink_sends/burst"] =
      static_cast<double>(uplink->sends.load() - sends0) / static_cast<double>(state.iterations());
  if (tuns[0]->stats().read().total_drops() != 0) state.SkipWithError("tunnel dropped frames");
}
BENCHMARK(BM_VxlanPortUnderlayDatapath);

}  // namespace
}  // namespace lvs::bench

BENCHMARK_MAIN();
