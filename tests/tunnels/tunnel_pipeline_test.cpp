// Tunnels as stages of the PMD iteration (root, one network namespace per test for the routes):
// the port underlay's outer frames join the underlay port's TX batch (one send per burst for
// every tunnel leaving by it, in place when the frame allows), the kernel endpoint's receive is a
// stage of its own polled by the PMD of its tunnels' queues, and a route change moves the port
// underlay's next hop without anyone reading the port's status.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <rte_ip.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <mutex>
#include <thread>
#include <vector>

#include "switch/datapath.hpp"
#include "tests/ports/netns_topology.hpp"
#include "tests/ports/port_test_env.hpp"
#include "tests/support/frames.hpp"
#include "tests/tunnels/port_underlay_setup.hpp"
#include "tunnels/port_underlay.hpp"
#include "tunnels/tunnel_port.hpp"
#include "tunnels/vxlan_header.hpp"

namespace lvs::tunnels {
namespace {

using ports::testing::BareNs;
using ports::testing::EnterNetns;
using ports::testing::sh;
using ports::testing::test_pools;

using testing::kUplinkMac;
using testing::peer_mac;
uint32_t ip(const std::string& s) { return inet_addr(s.c_str()); }

// The underlay port: keeps what it is sent and counts the sends (tx_burst calls).
class Uplink final : public sw::Port {
 public:
  Uplink() : Port("uplink") {}
  ~Uplink() override {
    for (auto* m : sent_) rte_pktmbuf_free(m);
  }
  std::string_view kind() const override { return "capture"; }
  uint16_t rx_burst(uint16_t, rte_mbuf**, uint16_t) override { return 0; }
  uint16_t tx_burst(uint16_t, rte_mbuf** pkts, uint16_t n) override {
    std::lock_guard lock(mutex_);
    ++sends_;
    sent_.insert(sent_.end(), pkts, pkts + n);
    return n;
  }
  sw::PortStatus status() const override {
    sw::PortStatus s;
    s.mac = kUplinkMac.to_string();
    return s;
  }
  // Forgets what was sent so far.
  void clear() {
    std::lock_guard lock(mutex_);
    for (auto* m : sent_) rte_pktmbuf_free(m);
    sent_.clear();
    sends_ = 0;
  }
  unsigned sends() {
    std::lock_guard lock(mutex_);
    return sends_;
  }
  std::vector<std::vector<uint8_t>> frames() {
    std::lock_guard lock(mutex_);
    std::vector<std::vector<uint8_t>> out;
    for (auto* m : sent_) out.push_back(test::bytes_of(m));
    return out;
  }
  std::vector<const rte_mbuf*> mbufs() {
    std::lock_guard lock(mutex_);
    return {sent_.begin(), sent_.end()};
  }

 private:
  std::mutex mutex_;
  unsigned sends_ = 0;
  std::vector<rte_mbuf*> sent_;
};

// A port that hands over the frames given to it, once.
class Source final : public sw::Port {
 public:
  explicit Source(std::string name) : Port(std::move(name)) {}
  ~Source() override {
    for (auto* m : pending) rte_pktmbuf_free(m);
    for (auto* m : received) rte_pktmbuf_free(m);
  }
  std::string_view kind() const override { return "source"; }
  uint16_t rx_burst(uint16_t, rte_mbuf** pkts, uint16_t n) override {
    const uint16_t k = static_cast<uint16_t>(std::min<size_t>(n, pending.size()));
    std::copy(pending.begin(), pending.begin() + k, pkts);
    pending.erase(pending.begin(), pending.begin() + k);
    return k;
  }
  uint16_t tx_burst(uint16_t, rte_mbuf** pkts, uint16_t n) override {
    received.insert(received.end(), pkts, pkts + n);
    return n;
  }
  std::vector<rte_mbuf*> pending, received;
};

// A namespace with 10.252.0.1/24 on a veth (the underlay subnet) and 10.253.0.0/24 behind
// 10.252.0.254.
class UnderlayNs {
 public:
  UnderlayNs() : ns_("tp") {
    const std::string n = "ip -n " + ns_.ns() + " ";
    ok_ = ns_.ok() && sh(n + "link add up0 type veth peer name up1") == 0 &&
          sh(n + "link set up1 up") == 0 && sh(n + "addr add 10.252.0.1/24 dev up0") == 0 &&
          sh(n + "link set up0 up") == 0 && sh(n + "route add 10.253.0.0/24 via 10.252.0.254") == 0;
  }
  bool ok() const { return ok_; }
  const std::string& ns() const { return ns_.ns(); }

 private:
  BareNs ns_;
  bool ok_ = false;
};

std::shared_ptr<TunnelPort> open_tunnel(const std::string& name,
                                        std::map<std::string, std::string> options,
                                        std::shared_ptr<sw::Port> underlay, std::string& error) {
  TunnelConfig cfg;
  if (auto e = parse_tunnel_options(TunnelKind::kVxlan, options, cfg)) {
    error = *e;
    return nullptr;
  }
  return TunnelPort::open(name, cfg, test_pools().frames, error, std::move(underlay));
}

PortUnderlay& port_underlay(TunnelPort& t) { return static_cast<PortUnderlay&>(t.underlay()); }

#define LVT_REQUIRE_ROOT()                                                 \
  do {                                                                     \
    if (geteuid() != 0) GTEST_SKIP() << "needs root (network namespaces)"; \
    ASSERT_NE(test_pools().frames, nullptr) << "EAL or mempool failed";    \
  } while (0)

// Two VXLAN tunnels (key 42) to 10.252.0.2 and .3 leaving by one uplink, their next hops
// learnt; bridge ovl = src + the tunnels (frames for 02:00:00:00:01:0<t> learnt on tunnel t),
// bridge brp = the uplink; one PMD, driven by poll_once.
struct TwoTunnels {
  const std::vector<std::string> remotes = {"10.252.0.2", "10.252.0.3"};
  UnderlayNs ns;
  std::shared_ptr<Uplink> uplink = std::make_shared<Uplink>();
  std::vector<std::shared_ptr<TunnelPort>> tuns;
  std::shared_ptr<Source> src = std::make_shared<Source>("src");
  sw::Datapath dp{{.pmd_threads = 1, .pool = test_pools().headers, .pmd_sleep = false}};

  void open() {
    ASSERT_TRUE(ns.ok());
    {
      EnterNetns in(ns.ns());
      ASSERT_TRUE(in.ok());
      for (size_t t = 0; t < remotes.size(); ++t) {
        std::string error;
        auto port = open_tunnel("t" + std::to_string(t),
                                {{"remote_ip", remotes[t]},
                                 {"local_ip", "10.252.0.1"},
                                 {"key", "42"},
                                 {"underlay", "port"},
                                 {"underlay_port", "uplink"}},
                                uplink, error);
        ASSERT_NE(port, nullptr) << error;
        ASSERT_TRUE(testing::learn_next_hop(*port, test_pools().frames));
        tuns.push_back(port);
      }
    }
    ASSERT_EQ(dp.apply(testing::overlay_and_underlay(src, tuns, uplink)), std::nullopt);
    testing::learn_behind_tunnels(dp, tuns, 0x020000000100ULL);
    uplink->clear();  // the ARP requests sent at open
  }
};

TEST(TunnelPipeline, OuterFramesOfEveryTunnelLeaveInOneSendOfTheUnderlayPort) {
  LVT_REQUIRE_ROOT();
  TwoTunnels h;
  h.open();
  if (HasFatalFailure()) return;
  auto& [remotes, ns, uplink, tuns, src, dp] = h;

  // One burst: 8 frames for each tunnel, interleaved.
  std::vector<std::vector<uint8_t>> inner;
  for (int i = 0; i < 16; ++i) {
    const std::string dst = "02:00:00:00:01:0" + std::to_string(i % 2);
    rte_mbuf* m = test::make_frame(
        test_pools().frames,
        {.dst = dst, .src = "02:00:00:00:00:01", .payload = 100, .fill = static_cast<uint8_t>(i)});
    ASSERT_NE(m, nullptr);
    inner.push_back(test::bytes_of(m));
    src->pending.push_back(m);
  }
  const std::vector<rte_mbuf*> handed = src->pending;
  const uint64_t uplink_tx = uplink->stats().read().tx_packets;
  ASSERT_EQ(dp.poll_once(0), 16u);

  EXPECT_EQ(uplink->sends(), 1u) << "the tunnels' outer frames left in more than one send";
  const auto out = uplink->frames();
  ASSERT_EQ(out.size(), 16u);
  // Per tunnel, in order: t0's 8 frames (even ones), then t1's (odd ones).
  std::vector<size_t> order;
  for (size_t t = 0; t < 2; ++t)
    for (size_t i = t; i < 16; i += 2) order.push_back(i);
  for (size_t k = 0; k < out.size(); ++k) {
    const size_t i = order[k];
    const auto& f = out[k];
    ASSERT_EQ(f.size(), 14 + 20 + 8 + 8 + inner[i].size());
    const uint32_t remote = ip(remotes[i % 2]);
    EXPECT_EQ(sw::MacAddr::from_bytes(f.data()), peer_mac(remote)) << "frame " << i;
    EXPECT_EQ(sw::MacAddr::from_bytes(f.data() + 6), kUplinkMac);
    uint32_t dst;
    std::memcpy(&dst, &f[14 + 16], 4);
    EXPECT_EQ(dst, remote) << "frame " << i;
    EXPECT_EQ(sw::load_be16(&f[14 + 20 + 2]), 4789);
    uint32_t vni = 0;
    EXPECT_EQ(parse_vxlan_header(&f[14 + 28], 8, vni), DecapStatus::kOk);
    EXPECT_EQ(vni, 42u);
    EXPECT_EQ(std::vector<uint8_t>(f.begin() + 50, f.end()), inner[i]) << "frame " << i;
  }
  // Unicast frames of their own: the outer headers went in front of them, not into copies.
  const auto mbufs = uplink->mbufs();
  for (size_t k = 0; k < mbufs.size(); ++k) EXPECT_EQ(mbufs[k], handed[order[k]]) << "frame " << k;
  for (auto& t : tuns) {
    const auto c = t->stats().read();
    EXPECT_EQ(c.tx_packets, 8u) << t->name();
    EXPECT_EQ(c.total_drops(), 0u) << t->name();
  }
  EXPECT_EQ(uplink->stats().read().tx_packets - uplink_tx, 16u);
}

// Ethernet + IPv4 + TCP + 100 bytes to 02:00:00:00:01:00, its TCP checksum left to finish
// (RTE_MBUF_F_TX_TCP_CKSUM, as AF_PACKET hands over most TCP frames).
rte_mbuf* checksum_pending_tcp() {
  auto f =
      test::frame_bytes({.dst = "02:00:00:00:01:00", .src = "02:00:00:00:00:01", .payload = 140});
  uint8_t* iph = &f[14];
  iph[0] = 0x45, iph[3] = 140, iph[8] = 64, iph[9] = 6;
  iph[12] = 10, iph[15] = 1, iph[16] = 10, iph[19] = 2;
  iph[10] = iph[11] = 0;
  const uint16_t sum = rte_ipv4_cksum(reinterpret_cast<const rte_ipv4_hdr*>(iph));
  std::memcpy(iph + 10, &sum, 2);
  iph[20 + 12] = 0x50, iph[20 + 13] = 0x18;
  rte_mbuf* m = test::make_raw(test_pools().frames, f);
  m->l2_len = 14, m->l3_len = 20, m->l4_len = 20;
  m->ol_flags = RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_TCP_CKSUM;
  return m;
}

bool tcp_checksum_valid(const uint8_t* ipv4, uint32_t len) {
  const uint32_t l4_len = len - 20;
  uint8_t ph[12] = {};
  std::memcpy(ph, ipv4 + 12, 8);
  ph[9] = 6;
  sw::store_be16(ph + 10, static_cast<uint16_t>(l4_len));
  return csum_fold32(rte_raw_cksum(ph, 12) + rte_raw_cksum(ipv4 + 20, l4_len)) == 0xffff;
}

TEST(TunnelPipeline, ChecksumPendingFrameIsFinishedInPlaceAndSharedFloodsAreCopied) {
  LVT_REQUIRE_ROOT();
  TwoTunnels h;
  h.open();
  if (HasFatalFailure()) return;
  rte_mbuf* tcp = checksum_pending_tcp();
  rte_mbuf* bcast = test::make_frame(test_pools().frames, {.src = "02:00:00:00:00:01"});
  const auto bcast_bytes = test::bytes_of(bcast);
  h.src->pending = {tcp, bcast};
  ASSERT_EQ(h.dp.poll_once(0), 2u);
  EXPECT_EQ(h.uplink->sends(), 1u);
  const auto out = h.uplink->frames();
  const auto mbufs = h.uplink->mbufs();
  ASSERT_EQ(out.size(), 3u);  // the TCP frame to t0, the broadcast to t0 and t1
  // t0's batch holds [tcp, broadcast], then t1's [broadcast].
  EXPECT_EQ(mbufs[0], tcp) << "a frame with only a checksum to finish was copied";
  ASSERT_EQ(out[0].size(), 50u + 14 + 140);
  EXPECT_TRUE(tcp_checksum_valid(&out[0][50 + 14], 140)) << "inner TCP checksum not finished";
  EXPECT_EQ(mbufs[0]->ol_flags, 0u) << "inner offload flags left on the outer frame";
  // The broadcast is shared by both tunnels: t0 copies it; t1, its last holder, may take it.
  EXPECT_NE(mbufs[1], bcast) << "a flooded frame was written in place while still shared";
  for (size_t k : {size_t{1}, size_t{2}})
    EXPECT_EQ(std::vector<uint8_t>(out[k].begin() + 50, out[k].end()), bcast_bytes) << k;
  for (auto& t : h.tuns) EXPECT_EQ(t->stats().read().total_drops(), 0u) << t->name();
}

TEST(TunnelPipeline, KernelEndpointDecapsulatesAsAStageOfItsOwn) {
  LVT_REQUIRE_ROOT();
  BareNs ns("td");
  ASSERT_TRUE(ns.ok());
  ASSERT_EQ(sh("ip -n " + ns.ns() + " addr add 10.254.0.1/32 dev lo"), 0);
  ASSERT_EQ(sh("ip -n " + ns.ns() + " addr add 10.254.0.2/32 dev lo"), 0);
  ASSERT_EQ(sh("ip -n " + ns.ns() + " addr add 10.254.0.3/32 dev lo"), 0);
  EnterNetns in(ns.ns());
  ASSERT_TRUE(in.ok());
  std::string error;
  auto t1 =
      open_tunnel("t1", {{"remote_ip", "10.254.0.2"}, {"local_ip", "10.254.0.1"}, {"key", "42"}},
                  nullptr, error);
  ASSERT_NE(t1, nullptr) << error;
  auto t2 =
      open_tunnel("t2", {{"remote_ip", "10.254.0.3"}, {"local_ip", "10.254.0.1"}, {"key", "42"}},
                  nullptr, error);
  ASSERT_NE(t2, nullptr) << error;

  // A VXLAN packet from 10.254.0.2 carrying a broadcast frame.
  const auto inner = test::frame_bytes({.src = "02:00:00:00:00:07", .payload = 100, .fill = 7});
  // Sized at once: g++ 12's -Warray-bounds misreads insert() after an 8-byte vector.
  std::vector<uint8_t> pkt(8 + inner.size());
  write_vxlan_header(pkt.data(), 42);
  std::copy(inner.begin(), inner.end(), pkt.begin() + 8);
  const int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in from{}, to{};
  from.sin_family = to.sin_family = AF_INET;
  from.sin_addr.s_addr = ip("10.254.0.2");
  to.sin_addr.s_addr = ip("10.254.0.1");
  to.sin_port = htons(4789);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&from), sizeof(from)), 0);
  auto send_one = [&] {
    return sendto(fd, pkt.data(), pkt.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof(to)) ==
           static_cast<ssize_t>(pkt.size());
  };

  // The tunnel's rx_burst only dequeues: the socket is read by the stage.
  ASSERT_TRUE(send_one());
  rte_mbuf* got[sw::kBurst];
  EXPECT_EQ(t1->rx_burst(0, got, sw::kBurst), 0) << "rx_burst read the endpoint's socket";
  const auto stage = t1->rx_stage();
  ASSERT_NE(stage, nullptr);
  EXPECT_EQ(stage, t2->rx_stage()) << "one endpoint, one stage";
  EXPECT_EQ(stage->name(), "decap vxlan *:4789");  // one receiver for every local_ip
  EXPECT_GE(stage->wait_fd(), 0);
  EXPECT_EQ(stage->poll(0), 1u);
  ASSERT_EQ(t1->rx_burst(0, got, sw::kBurst), 1);
  EXPECT_EQ(test::bytes_of(got[0]), inner);
  rte_pktmbuf_free(got[0]);

  // In the datapath: the stage is polled by the PMD of both tunnels' queues, listed with them.
  auto p = std::make_shared<Source>("p");
  sw::Datapath dp({.pmd_threads = 2, .pool = test_pools().headers, .pmd_sleep = false});
  sw::DatapathConfig dc;
  sw::BridgeConfig br{.name = "br"};
  br.ports.push_back({.name = "p", .port = p});
  br.ports.push_back({.name = "t1", .port = t1, .split_horizon_group = 1});
  br.ports.push_back({.name = "t2", .port = t2, .split_horizon_group = 1});
  dc.bridges = {br};
  ASSERT_EQ(dp.apply(dc), std::nullopt);
  int stage_pmd = -1;
  for (const auto& st : dp.pmd_stats()) {
    const auto& q = st.rx_queues;
    if (std::find(q.begin(), q.end(), stage->name()) == q.end()) continue;
    EXPECT_EQ(stage_pmd, -1) << "the stage is polled by two PMDs";
    stage_pmd = static_cast<int>(st.index);
    EXPECT_NE(std::find(q.begin(), q.end(), "br/t1:0"), q.end());
    EXPECT_NE(std::find(q.begin(), q.end(), "br/t2:0"), q.end());
  }
  ASSERT_GE(stage_pmd, 0) << "no PMD polls the endpoint";
  ASSERT_TRUE(send_one());
  EXPECT_EQ(dp.poll_once(static_cast<unsigned>(stage_pmd)), 1u);
  ASSERT_EQ(p->received.size(), 1u);
  EXPECT_EQ(test::bytes_of(p->received[0]), inner);
  EXPECT_EQ(t1->stats().read().rx_packets, 1u);  // counted by the pipeline
  close(fd);
}

TEST(TunnelPipeline, RouteChangeMovesTheNextHopWithoutAStatusRead) {
  LVT_REQUIRE_ROOT();
  UnderlayNs ns;
  ASSERT_TRUE(ns.ok());
  auto uplink = std::make_shared<Uplink>();
  std::shared_ptr<TunnelPort> t;
  {
    EnterNetns in(ns.ns());
    ASSERT_TRUE(in.ok());
    std::string error;
    t = open_tunnel("t0",
                    {{"remote_ip", "10.253.0.9"},
                     {"local_ip", "10.252.0.1"},
                     {"key", "42"},
                     {"underlay", "port"},
                     {"underlay_port", "uplink"}},
                    uplink, error);
    ASSERT_NE(t, nullptr) << error;
  }
  PortUnderlay& u = port_underlay(*t);
  EXPECT_EQ(u.next_hop(), ip("10.252.0.254"));
  uplink->clear();

  auto next_hop_becomes = [&](const std::string& want) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
    while (u.next_hop() != ip(want) && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    return u.next_hop() == ip(want);
  };
  // A more specific route through another gateway: the next hop follows, and is asked for.
  ASSERT_EQ(sh("ip -n " + ns.ns() + " route add 10.253.0.9/32 via 10.252.0.253"), 0);
  EXPECT_TRUE(next_hop_becomes("10.252.0.253"));
  bool asked = false;
  for (const auto& f : uplink->frames()) {
    uint32_t tpa = 0;
    if (f.size() >= 42 && sw::load_be16(&f[12]) == 0x0806) std::memcpy(&tpa, &f[38], 4);
    asked |= tpa == ip("10.252.0.253");
  }
  EXPECT_TRUE(asked) << "no ARP request for the new next hop";
  // And back when it goes.
  ASSERT_EQ(sh("ip -n " + ns.ns() + " route del 10.253.0.9/32"), 0);
  EXPECT_TRUE(next_hop_becomes("10.252.0.254"));
}

}  // namespace
}  // namespace lvs::tunnels
