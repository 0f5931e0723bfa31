// Integration tests of the tunnel ports (root, network namespaces): interop with the Linux
// kernel's VXLAN device, GRE between two switches with per-tenant isolation, a three-host full
// mesh where broadcasts do not loop, and the packets on the underlay decoded.
#include <gtest/gtest.h>
#include <poll.h>

#include <cstdio>
#include <fstream>
#include <iterator>

#include "tests/tunnels/tunnel_topology.hpp"
#include "tunnels/kernel_underlay.hpp"
#include "tunnels/gre_header.hpp"
#include "tunnels/vxlan_header.hpp"

namespace lvs::tunnels::testing {
namespace {

#define LVT_REQUIRE_ROOT()                                                  \
  do {                                                                      \
    if (geteuid() != 0) GTEST_SKIP() << "needs root (network namespaces)"; \
    ASSERT_NE(test_pools().frames, nullptr) << "EAL or mempool failed";     \
  } while (0)

constexpr uint16_t kProbeType = 0x88b5;  // IEEE local experimental EtherType

// An AF_PACKET socket on a container's interface, for sending and counting probe frames.
class ProbeSocket {
 public:
  explicit ProbeSocket(const ContainerNs& c) {
    EnterNetns in(c.ns());
    fd_ = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK, htons(kProbeType));
    ifindex_ = static_cast<int>(if_nametoindex(c.inner_if().c_str()));
    sockaddr_ll sll{};
    sll.sll_family = AF_PACKET;
    sll.sll_protocol = htons(kProbeType);
    sll.sll_ifindex = ifindex_;
    if (fd_ >= 0) bind(fd_, reinterpret_cast<sockaddr*>(&sll), sizeof(sll));
  }
  ~ProbeSocket() {
    if (fd_ >= 0) close(fd_);
  }
  bool ok() const { return fd_ >= 0 && ifindex_ > 0; }
  bool send_broadcast(uint8_t seq) {
    uint8_t f[60] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01,
                     static_cast<uint8_t>(kProbeType >> 8), static_cast<uint8_t>(kProbeType)};
    f[14] = seq;
    return send(fd_, f, sizeof(f), 0) == sizeof(f);
  }
  int count_received() {
    int n = 0;
    uint8_t buf[2048];
    sockaddr_ll from{};
    socklen_t len = sizeof(from);
    while (recvfrom(fd_, buf, sizeof(buf), 0, reinterpret_cast<sockaddr*>(&from), &len) > 0) {
      if (from.sll_pkttype != PACKET_OUTGOING) ++n;
      len = sizeof(from);
    }
    return n;
  }

 private:
  int fd_ = -1;
  int ifindex_ = 0;
};

TEST(TunnelNetns, VxlanInteropsWithLinuxVxlanPingAndTcpBothWays) {
  LVT_REQUIRE_ROOT();
  Wire wire;
  ASSERT_TRUE(wire.ok());
  SwitchHost h1(wire, 1);
  ASSERT_TRUE(h1.ok());
  KernelVxlanHost k2(wire, 2, 42, underlay_ip(1), {.tag = "c2", .cidr = "10.251.0.2/24"});
  ASSERT_TRUE(k2.ok());
  ASSERT_EQ(h1.add_container({.tag = "c1", .cidr = "10.251.0.1/24"}), "");
  ASSERT_EQ(h1.add_tunnel({.name = "vx1",
                           .options = {{"remote_ip", underlay_ip(2)},
                                       {"local_ip", underlay_ip(1)},
                                       {"key", "42"}}}),
            "");
  ASSERT_EQ(h1.start(), "");
  const ContainerNs& c1 = h1.container(0);
  const ContainerNs& c2 = k2.container();
  EXPECT_TRUE(ping(c1, "10.251.0.2"));
  EXPECT_TRUE(ping(c2, "10.251.0.1"));
  // Default offloads on both containers: TSO super-frames must be cut before encapsulation.
  const double to_kernel = iperf_gbps(c2, "10.251.0.2", c1);
  const double from_kernel = iperf_gbps(c1, "10.251.0.1", c2);
  std::printf("TCP switch->kernel vxlan %.2f Gbit/s, kernel->switch %.2f Gbit/s\n", to_kernel,
              from_kernel);
  EXPECT_GT(to_kernel, 0.05);
  EXPECT_GT(from_kernel, 0.05);
  const auto c = h1.port("vx1")->stats().read();
  EXPECT_EQ(c.drops[static_cast<size_t>(sw::DropReason::kTunnelMalformed)], 0u);
  EXPECT_EQ(c.drops[static_cast<size_t>(sw::DropReason::kTooBig)], 0u);
}

// The same over an IPv6 underlay: our endpoint's AF_INET6 sockets (raw ones with the kernel
// filling the mandatory UDP checksum, UDP GSO ones) against the kernel's VXLAN over IPv6, which
// refuses UDP without a checksum. Containers at 1430: VXLAN over IPv6 costs 70 bytes.
TEST(TunnelNetns, VxlanOverIpv6InteropsWithLinuxVxlanPingAndTcpBothWays) {
  LVT_REQUIRE_ROOT();
  Wire wire;
  ASSERT_TRUE(wire.ok());
  SwitchHost h1(wire, 1);
  ASSERT_TRUE(h1.ok());
  ASSERT_TRUE(add_underlay_ip6(h1.ns(), 1));
  KernelVxlanHost k2(wire, 2, 42, underlay_ip6(1),
                     {.tag = "c2", .cidr = "10.252.0.2/24", .mtu = 1430}, /*ipv6=*/true);
  ASSERT_TRUE(k2.ok());
  ASSERT_EQ(h1.add_container({.tag = "c1", .cidr = "10.252.0.1/24", .mtu = 1430}), "");
  ASSERT_EQ(h1.add_tunnel({.name = "vx1",
                           .options = {{"remote_ip", underlay_ip6(2)},
                                       {"local_ip", underlay_ip6(1)},
                                       {"key", "42"}}}),
            "");
  ASSERT_EQ(h1.start(), "");
  const ContainerNs& c1 = h1.container(0);
  const ContainerNs& c2 = k2.container();
  EXPECT_TRUE(ping(c1, "10.252.0.2"));
  EXPECT_TRUE(ping(c2, "10.252.0.1"));
  EXPECT_TRUE(sh(c1.exec("ping -c 2 -i 0.2 -W 2 -s 1402 -M do 10.252.0.2")) == 0)
      << "a full 1430-byte inner packet fits the IPv6 underlay";
  const double to_kernel = iperf_gbps(c2, "10.252.0.2", c1, 1);
  const double from_kernel = iperf_gbps(c1, "10.252.0.1", c2, 1);
  std::printf("TCP over IPv6: switch->kernel vxlan %.2f Gbit/s, kernel->switch %.2f Gbit/s\n",
              to_kernel, from_kernel);
  EXPECT_GT(to_kernel, 0.05);
  EXPECT_GT(from_kernel, 0.05);
  const auto c = h1.port("vx1")->stats().read();
  EXPECT_EQ(c.drops[static_cast<size_t>(sw::DropReason::kTunnelMalformed)], 0u);
  EXPECT_EQ(c.drops[static_cast<size_t>(sw::DropReason::kTooBig)], 0u);
  EnterNetns in(h1.ns());  // the route towards remote_ip is the host's
  EXPECT_EQ(h1.port("vx1")->status().mtu, 1500u - 70u) << "the route's MTU less 70 bytes";
}

TEST(TunnelNetns, GreSameSubnetAcrossTwoSwitchesKeepsTenantsApart) {
  LVT_REQUIRE_ROOT();
  Wire wire;
  ASSERT_TRUE(wire.ok());
  SwitchHost h1(wire, 1), h2(wire, 2);
  ASSERT_TRUE(h1.ok() && h2.ok());
  // Tenant A (key 1) and tenant B (key 2), one bridge each per host, all in one subnet.
  ASSERT_EQ(h1.add_container({.tag = "a1", .cidr = "10.251.0.1/24", .bridge = "ta"}), "");
  ASSERT_EQ(h1.add_container({.tag = "b1", .cidr = "10.251.0.3/24", .bridge = "tb"}), "");
  ASSERT_EQ(h2.add_container({.tag = "a2", .cidr = "10.251.0.2/24", .bridge = "ta"}), "");
  ASSERT_EQ(h2.add_container({.tag = "b2", .cidr = "10.251.0.4/24", .bridge = "tb"}), "");
  for (auto [h, remote] : {std::pair{&h1, 2}, std::pair{&h2, 1}}) {
    ASSERT_EQ(h->add_tunnel({.name = "gra", .options = {{"remote_ip", underlay_ip(remote)}, {"key", "1"}},
                             .kind = TunnelKind::kGre, .bridge = "ta"}),
              "");
    ASSERT_EQ(h->add_tunnel({.name = "grb",
                             .options = {{"remote_ip", underlay_ip(remote)}, {"key", "2"}, {"csum", "true"}},
                             .kind = TunnelKind::kGre, .bridge = "tb"}),
              "");
    ASSERT_EQ(h->start(), "");
  }
  EXPECT_TRUE(ping(h1.container(0), "10.251.0.2"));
  EXPECT_TRUE(ping(h1.container(1), "10.251.0.4"));
  EXPECT_TRUE(ping(h2.container(1), "10.251.0.3"));
  EXPECT_FALSE(ping(h1.container(0), "10.251.0.4", 2)) << "tenant A reached tenant B";
  EXPECT_FALSE(ping(h2.container(1), "10.251.0.1", 2)) << "tenant B reached tenant A";
  const double gbps = iperf_gbps(h2.container(0), "10.251.0.2", h1.container(0));
  std::printf("TCP over GRE key 1: %.2f Gbit/s\n", gbps);
  EXPECT_GT(gbps, 0.05);
  const double gbps_csum = iperf_gbps(h2.container(1), "10.251.0.4", h1.container(1));
  std::printf("TCP over GRE key 2 with checksums: %.2f Gbit/s\n", gbps_csum);
  EXPECT_GT(gbps_csum, 0.05);
  for (const char* p : {"gra", "grb"}) {
    const auto c = h2.port(p)->stats().read();
    EXPECT_EQ(c.drops[static_cast<size_t>(sw::DropReason::kTunnelMalformed)], 0u) << p;
  }
}

// TSO super-frames leave as UDP GSO messages and arrive as UDP GRO buffers, which the receiving
// switch joins back into inner TCP super-frames (tunnels/vxlan_gro.hpp): TCP works both ways and
// the joins happen.
TEST(TunnelNetns, VxlanBetweenTwoSwitchesCarriesSuperFramesBothWays) {
  LVT_REQUIRE_ROOT();
  Wire wire;
  ASSERT_TRUE(wire.ok());
  SwitchHost h1(wire, 1), h2(wire, 2);
  ASSERT_TRUE(h1.ok() && h2.ok());
  ASSERT_EQ(h1.add_container({.tag = "c1", .cidr = "10.251.0.1/24"}), "");
  ASSERT_EQ(h2.add_container({.tag = "c2", .cidr = "10.251.0.2/24"}), "");
  for (auto [h, remote] : {std::pair{&h1, 2}, std::pair{&h2, 1}}) {
    ASSERT_EQ(h->add_tunnel({.name = "vx", .options = {{"remote_ip", underlay_ip(remote)},
                                                       {"local_ip", h->ip()},
                                                       {"key", "42"}}}),
              "");
    ASSERT_EQ(h->start(), "");
  }
  ASSERT_TRUE(ping(h1.container(0), "10.251.0.2"));
  const double fwd = iperf_gbps(h2.container(0), "10.251.0.2", h1.container(0));
  const double rev = iperf_gbps(h2.container(0), "10.251.0.2", h1.container(0), 2, true);
  std::printf("TCP over VXLAN switch to switch: %.2f / %.2f Gbit/s\n", fwd, rev);
  EXPECT_GT(fwd, 0.05);
  EXPECT_GT(rev, 0.05);
  for (auto* h : {&h1, &h2}) {
    auto* t = dynamic_cast<TunnelPort*>(h->port("vx").get());
    ASSERT_NE(t, nullptr);
    const auto ec = dynamic_cast<const KernelUnderlay&>(t->underlay()).endpoint()->receiver()->counters();
    std::printf("%s: %llu tunnel packets, %llu joined super-frames\n", h->ip().c_str(),
                static_cast<unsigned long long>(ec.rx_packets),
                static_cast<unsigned long long>(ec.rx_joined));
    EXPECT_GT(ec.rx_joined, 0u) << h->ip();
    EXPECT_EQ(ec.malformed, 0u);
    const auto c = t->stats().read();
    EXPECT_EQ(c.drops[static_cast<size_t>(sw::DropReason::kTunnelMalformed)], 0u);
    EXPECT_EQ(c.drops[static_cast<size_t>(sw::DropReason::kTooBig)], 0u);
  }
}

TEST(TunnelNetns, WrongKeyIsDroppedAndCountedAsNoTunnel) {
  LVT_REQUIRE_ROOT();
  Wire wire;
  ASSERT_TRUE(wire.ok());
  SwitchHost h1(wire, 1), h2(wire, 2);
  ASSERT_TRUE(h1.ok() && h2.ok());
  ASSERT_EQ(h1.add_container({.tag = "a1", .cidr = "10.251.0.1/24"}), "");
  ASSERT_EQ(h2.add_container({.tag = "a2", .cidr = "10.251.0.2/24"}), "");
  ASSERT_EQ(h1.add_tunnel({.name = "g", .options = {{"remote_ip", underlay_ip(2)}, {"key", "1"}},
                           .kind = TunnelKind::kGre}),
            "");
  ASSERT_EQ(h2.add_tunnel({.name = "g", .options = {{"remote_ip", underlay_ip(1)}, {"key", "7"}},
                           .kind = TunnelKind::kGre}),
            "");
  ASSERT_EQ(h1.start(), "");
  ASSERT_EQ(h2.start(), "");
  EXPECT_FALSE(ping(h1.container(0), "10.251.0.2", 2));
  const auto c1 = h1.port("g")->stats().read();
  const auto c2 = h2.port("g")->stats().read();
  EXPECT_GT(c1.drops[static_cast<size_t>(sw::DropReason::kNoTunnel)] +
                c2.drops[static_cast<size_t>(sw::DropReason::kNoTunnel)],
            0u);
  EXPECT_EQ(c1.rx_packets + c2.rx_packets, 0u);
}

// options:local_ip on GRE (raw sockets, tunnel_receiver.hpp): host 1 has a second address L and
// two GRE ports with host 2 as remote and key 5, ga with local_ip L and gw without. Host 2 sends
// to L by gx and to host 1's first address by gy: gx's frames land on ga alone, once each (one
// raw socket, not one per local_ip each with its copy), gy's on the wildcard gw alone.
TEST(TunnelNetns, GreLocalIpPortGetsItsAddressAndTheWildcardTheRest) {
  LVT_REQUIRE_ROOT();
  Wire wire;
  ASSERT_TRUE(wire.ok());
  SwitchHost h1(wire, 1), h2(wire, 2);
  ASSERT_TRUE(h1.ok() && h2.ok());
  const std::string second = "10.250.0.11";
  ASSERT_EQ(sh("ip -n " + h1.ns() + " addr add " + second + "/24 dev uplink"), 0);
  ASSERT_EQ(h1.add_container({.tag = "a1", .cidr = "10.251.0.1/24", .bridge = "ba"}), "");
  ASSERT_EQ(h1.add_container({.tag = "w1", .cidr = "10.251.0.2/24", .bridge = "bw"}), "");
  ASSERT_EQ(h2.add_container({.tag = "x2", .cidr = "10.251.0.3/24", .bridge = "bx"}), "");
  ASSERT_EQ(h2.add_container({.tag = "y2", .cidr = "10.251.0.4/24", .bridge = "by"}), "");
  auto gre = [](const std::string& name, const std::string& remote, const std::string& local,
                const std::string& bridge) {
    TunnelSpec t{.name = name, .options = {{"remote_ip", remote}, {"key", "5"}},
                 .kind = TunnelKind::kGre, .bridge = bridge};
    if (!local.empty()) t.options["local_ip"] = local;
    return t;
  };
  ASSERT_EQ(h1.add_tunnel(gre("ga", underlay_ip(2), second, "ba")), "");
  ASSERT_EQ(h1.add_tunnel(gre("gw", underlay_ip(2), "", "bw")), "");
  ASSERT_EQ(h2.add_tunnel(gre("gx", second, "", "bx")), "");
  ASSERT_EQ(h2.add_tunnel(gre("gy", underlay_ip(1), "", "by")), "");
  ASSERT_EQ(h1.start(), "");
  ASSERT_EQ(h2.start(), "");
  ProbeSocket a1(h1.container(0)), w1(h1.container(1)), x2(h2.container(0)), y2(h2.container(1));
  ASSERT_TRUE(a1.ok() && w1.ok() && x2.ok() && y2.ok());
  constexpr int kFrames = 10;
  // from SENDER: kFrames broadcasts; returns what a1 and w1 got.
  auto from = [&](ProbeSocket& sender) {
    for (int i = 0; i < kFrames; ++i) EXPECT_TRUE(sender.send_broadcast(static_cast<uint8_t>(i)));
    int on_a = 0, on_w = 0;
    test::wait_until(
        [&] {
          on_a += a1.count_received();
          on_w += w1.count_received();
          return on_a + on_w >= kFrames;
        },
        std::chrono::seconds(5));
    std::this_thread::sleep_for(std::chrono::milliseconds(200));  // for copies that would follow
    on_a += a1.count_received();
    on_w += w1.count_received();
    return std::pair{on_a, on_w};
  };
  EXPECT_EQ(from(x2), std::pair(kFrames, 0)) << "to " << second << ": (ga, gw)";
  EXPECT_EQ(from(y2), std::pair(0, kFrames)) << "to " << underlay_ip(1) << ": (ga, gw)";
  EXPECT_TRUE(ping(h2.container(0), "10.251.0.1")) << "x2 -> a1 by gx / ga";
  EXPECT_TRUE(ping(h2.container(1), "10.251.0.2")) << "y2 -> w1 by gy / gw";
  for (const char* p : {"ga", "gw"}) {
    const auto c = h1.port(p)->stats().read();
    EXPECT_EQ(c.drops[static_cast<size_t>(sw::DropReason::kNoTunnel)], 0u) << p;
  }
  auto* t = dynamic_cast<TunnelPort*>(h1.port("ga").get());
  ASSERT_NE(t, nullptr);
  const auto ec = dynamic_cast<const KernelUnderlay&>(t->underlay()).endpoint()->receiver()->counters();
  EXPECT_EQ(ec.no_tunnel, 0u);
  EXPECT_EQ(ec.malformed, 0u);
}

TEST(TunnelNetns, FullMeshOfThreeHostsDeliversEachBroadcastOnceAndDoesNotLoop) {
  LVT_REQUIRE_ROOT();
  Wire wire;
  ASSERT_TRUE(wire.ok());
  std::vector<std::unique_ptr<SwitchHost>> hosts;
  for (int i = 1; i <= 3; ++i) {
    hosts.push_back(std::make_unique<SwitchHost>(wire, i));
    ASSERT_TRUE(hosts.back()->ok());
    ASSERT_EQ(hosts.back()->add_container(
                  {.tag = "m" + std::to_string(i), .cidr = "10.251.0." + std::to_string(i) + "/24"}),
              "");
    for (int j = 1; j <= 3; ++j) {
      if (j == i) continue;
      ASSERT_EQ(hosts.back()->add_tunnel({.name = "vx" + std::to_string(j),
                                          .options = {{"remote_ip", underlay_ip(j)},
                                                      {"key", "100"}}}),
                "");
    }
    ASSERT_EQ(hosts.back()->start(), "");
  }
  ProbeSocket s1(hosts[0]->container(0)), r2(hosts[1]->container(0)), r3(hosts[2]->container(0));
  ASSERT_TRUE(s1.ok() && r2.ok() && r3.ok());
  constexpr int kFrames = 10;
  for (int i = 0; i < kFrames; ++i) ASSERT_TRUE(s1.send_broadcast(static_cast<uint8_t>(i)));
  int got2 = 0, got3 = 0, back = 0;
  auto count = [&] {
    got2 += r2.count_received();
    got3 += r3.count_received();
    back += s1.count_received();
  };
  test::wait_until(
      [&] {
        count();
        return got2 >= kFrames && got3 >= kFrames;
      },
      std::chrono::seconds(10));
  // Then a window for what a loop would keep sending round (it goes round in microseconds).
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  count();
  EXPECT_EQ(got2, kFrames);
  EXPECT_EQ(got3, kFrames);
  EXPECT_EQ(back, 0) << "a broadcast came back to its sender";
  // Each received exactly once: host 2 did not relay host 1's frames to host 3 (split horizon),
  // or host 3 would have had them twice. Unicast between the other two still works.
  EXPECT_TRUE(ping(hosts[2]->container(0), "10.251.0.2", 2));
}

// Minimal pcap reader: the packets of a capture file (Ethernet link type).
std::vector<std::vector<uint8_t>> read_pcap(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::vector<uint8_t> d((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  std::vector<std::vector<uint8_t>> out;
  if (d.size() < 24) return out;
  size_t off = 24;
  while (off + 16 <= d.size()) {
    uint32_t incl;
    std::memcpy(&incl, &d[off + 8], 4);
    off += 16;
    if (off + incl > d.size()) break;
    out.emplace_back(d.begin() + static_cast<long>(off), d.begin() + static_cast<long>(off + incl));
    off += incl;
  }
  return out;
}

// Checks an outer Ethernet + IPv4 packet; returns the IP payload offset, 0 when malformed.
size_t check_outer_ipv4(const std::vector<uint8_t>& p, uint8_t proto) {
  if (p.size() < 34 || p[12] != 0x08 || p[13] != 0x00) return 0;
  const uint8_t* ip = &p[14];
  const size_t ihl = (ip[0] & 0xf) * 4u;
  if ((ip[0] >> 4) != 4 || ihl < 20 || ip[9] != proto) return 0;
  if (static_cast<size_t>(ip[2] << 8 | ip[3]) != p.size() - 14) return 0;
  uint32_t sum = 0;
  for (size_t i = 0; i < ihl; i += 2) sum += static_cast<uint32_t>(ip[i] << 8 | ip[i + 1]);
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return sum == 0xffff ? 14 + ihl : 0;
}

TEST(TunnelNetns, UnderlayCarriesWellFormedVxlanAndGre) {
  LVT_REQUIRE_ROOT();
  if (sh("command -v tcpdump") != 0) GTEST_SKIP() << "tcpdump not installed";
  Wire wire;
  ASSERT_TRUE(wire.ok());
  SwitchHost h1(wire, 1), h2(wire, 2);
  ASSERT_TRUE(h1.ok() && h2.ok());
  ASSERT_EQ(h1.add_container({.tag = "v1", .cidr = "10.251.0.1/24", .bridge = "bv"}), "");
  ASSERT_EQ(h1.add_container({.tag = "g1", .cidr = "10.252.0.1/24", .bridge = "bg"}), "");
  ASSERT_EQ(h2.add_container({.tag = "v2", .cidr = "10.251.0.2/24", .bridge = "bv"}), "");
  ASSERT_EQ(h2.add_container({.tag = "g2", .cidr = "10.252.0.2/24", .bridge = "bg"}), "");
  for (auto [h, remote] : {std::pair{&h1, 2}, std::pair{&h2, 1}}) {
    ASSERT_EQ(h->add_tunnel({.name = "vx", .options = {{"remote_ip", underlay_ip(remote)}, {"key", "4242"}},
                             .bridge = "bv"}),
              "");
    ASSERT_EQ(h->add_tunnel({.name = "gr",
                             .options = {{"remote_ip", underlay_ip(remote)}, {"key", "77"}, {"csum", "true"}},
                             .kind = TunnelKind::kGre, .bridge = "bg"}),
              "");
    ASSERT_EQ(h->start(), "");
  }
  const std::string pcap = "/tmp/" + unique_prefix() + "-underlay.pcap";
  struct Remove {
    std::string p;
    ~Remove() { std::remove(p.c_str()); }
  } remove_pcap{pcap};
  auto tcpdump = test::start_tcpdump(
      "ip netns exec " + h1.ns(), "-i uplink -U -n -w " + pcap + " 'udp port 4789 or ip proto 47'");
  ASSERT_TRUE(tcpdump) << "tcpdump did not start";
  EXPECT_TRUE(ping(h1.container(0), "10.251.0.2", 5));
  EXPECT_TRUE(ping(h1.container(1), "10.252.0.2", 5));
  // 5 requests + 5 replies per tunnel at least; -U writes each packet as it comes.
  test::wait_until([&] { return read_pcap(pcap).size() >= 20; }, std::chrono::seconds(5));
  tcpdump->interrupt();
  EXPECT_EQ(tcpdump->wait_exit(std::chrono::seconds(5)), 0) << tcpdump->err();
  const auto packets = read_pcap(pcap);
  int vxlan = 0, gre = 0, bad = 0;
  for (const auto& p : packets) {
    if (size_t off = check_outer_ipv4(p, 17)) {
      const uint8_t* udp = &p[off];
      const size_t udp_len = static_cast<size_t>(udp[4] << 8 | udp[5]);
      uint32_t vni = 0;
      const bool ok = (udp[2] << 8 | udp[3]) == 4789 && udp_len == p.size() - off &&
                      (udp[0] << 8 | udp[1]) >= 32768 &&
                      parse_vxlan_header(udp + 8, p.size() - off - 8, vni) == DecapStatus::kOk &&
                      vni == 4242 && p.size() - off - 16 >= 14;
      ok ? ++vxlan : ++bad;
    } else if (size_t goff = check_outer_ipv4(p, 47)) {
      GreInfo g;
      bool ok = parse_gre_header(&p[goff], p.size() - goff, g) == DecapStatus::kOk && g.has_key &&
                g.key == 77 && g.has_csum && p.size() - goff - g.header_len >= 14;
      uint32_t sum = 0;
      for (size_t i = goff; i + 1 < p.size(); i += 2) sum += static_cast<uint32_t>(p[i] << 8 | p[i + 1]);
      if ((p.size() - goff) & 1) sum += static_cast<uint32_t>(p.back() << 8);
      while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
      ok = ok && sum == 0xffff;
      ok ? ++gre : ++bad;
    } else {
      ++bad;
    }
  }
  std::printf("underlay: %zu packets, %d VXLAN, %d GRE, %d malformed\n", packets.size(), vxlan, gre,
              bad);
  EXPECT_GE(vxlan, 10);  // 5 echo requests + 5 replies (the capture runs before the first)
  EXPECT_GE(gre, 10);
  EXPECT_EQ(bad, 0);
}

}  // namespace
}  // namespace lvs::tunnels::testing
