// The userspace tunnel endpoint of options:underlay=port (tunnels/port_vtep.hpp) as the rx filter
// of its underlay port: ARP for local_ip answered, next hops learnt, VXLAN / GRE to local_ip
// decapsulated into the right tunnel's ring, everything else left to the bridge, bad packets
// counted. And the neighbour table's expiry and retry policy (tunnels/neighbour_cache.hpp).
#include "tunnels/port_vtep.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <rte_ip.h>
#include <rte_ring.h>

#include <cstring>
#include <vector>

#include "tests/support/frames.hpp"
#include "tunnels/gre_header.hpp"
#include "tunnels/neighbour_cache.hpp"
#include "tunnels/vxlan_header.hpp"

namespace lvs::tunnels {
namespace {

const sw::MacAddr kVtepMac = *sw::MacAddr::parse("02:aa:00:00:00:01");
const sw::MacAddr kPeerMac = *sw::MacAddr::parse("02:bb:00:00:00:02");
uint32_t ip(const char* s) { return inet_addr(s); }

// An underlay port that keeps what is sent on it.
class CapturePort final : public sw::Port {
 public:
  CapturePort() : Port("uplink") {}
  ~CapturePort() override {
    for (auto* m : sent) rte_pktmbuf_free(m);
  }
  std::string_view kind() const override { return "capture"; }
  uint16_t rx_burst(uint16_t, rte_mbuf**, uint16_t) override { return 0; }
  uint16_t tx_burst(uint16_t, rte_mbuf** pkts, uint16_t n) override {
    sent.insert(sent.end(), pkts, pkts + n);
    return n;
  }
  sw::PortStatus status() const override {
    sw::PortStatus s;
    s.mac = kVtepMac.to_string();
    return s;
  }
  std::vector<rte_mbuf*> sent;
};

std::vector<uint8_t> arp(uint16_t op, const sw::MacAddr& sha, uint32_t spa, uint32_t tpa,
                         const sw::MacAddr& dst) {
  std::vector<uint8_t> f(60, 0);
  std::memcpy(f.data(), dst.bytes.data(), 6);
  std::memcpy(f.data() + 6, sha.bytes.data(), 6);
  f[12] = 0x08, f[13] = 0x06;
  uint8_t* a = f.data() + 14;
  a[1] = 1, a[2] = 0x08, a[4] = 6, a[5] = 4, a[7] = static_cast<uint8_t>(op);
  std::memcpy(a + 8, sha.bytes.data(), 6);
  std::memcpy(a + 14, &spa, 4);
  std::memcpy(a + 24, &tpa, 4);
  return f;
}

// Ethernet + IPv4 (valid checksum) + `l4` (UDP header + VXLAN + inner, or GRE + inner).
std::vector<uint8_t> outer(uint32_t src, uint32_t dst, uint8_t proto,
                           const std::vector<uint8_t>& l4) {
  std::vector<uint8_t> f(14 + 20 + l4.size());
  std::memcpy(f.data(), kVtepMac.bytes.data(), 6);
  std::memcpy(f.data() + 6, kPeerMac.bytes.data(), 6);
  f[12] = 0x08;
  uint8_t* h = f.data() + 14;
  h[0] = 0x45;
  sw::store_be16(h + 2, static_cast<uint16_t>(20 + l4.size()));
  h[8] = 64;
  h[9] = proto;
  std::memcpy(h + 12, &src, 4);
  std::memcpy(h + 16, &dst, 4);
  const uint16_t sum = static_cast<uint16_t>(~rte_raw_cksum(h, 20));
  std::memcpy(h + 10, &sum, 2);
  std::memcpy(f.data() + 34, l4.data(), l4.size());
  return f;
}

std::vector<uint8_t> vxlan(uint32_t vni, uint16_t dport = 4789) {
  const auto inner = test::frame_bytes({.dst = "02:00:00:00:00:09"});
  std::vector<uint8_t> l4(16 + inner.size());
  sw::store_be16(l4.data(), 12345);
  sw::store_be16(l4.data() + 2, dport);
  sw::store_be16(l4.data() + 4, static_cast<uint16_t>(16 + inner.size()));
  write_vxlan_header(l4.data() + 8, vni);
  std::memcpy(l4.data() + 16, inner.data(), inner.size());
  return l4;
}

std::vector<uint8_t> gre(uint32_t key) {
  const auto inner = test::frame_bytes({.dst = "02:00:00:00:00:09"});
  std::vector<uint8_t> l4(16 + inner.size());
  const size_t h = write_gre_header(l4.data(), false, key);
  std::memcpy(l4.data() + h, inner.data(), inner.size());
  l4.resize(h + inner.size());
  return l4;
}

struct Fixture : ::testing::Test {
  void SetUp() override {
    ASSERT_NE(test::test_pool(), nullptr);
    port = std::make_shared<CapturePort>();
    std::string error;
    vtep = PortVtep::acquire(port, ip("10.97.0.1"), test::test_pool(), error);
    ASSERT_TRUE(vtep) << error;
    static int seq = 0;
    ring = rte_ring_create(("vtep_test" + std::to_string(seq++)).c_str(), 64, SOCKET_ID_ANY, 0);
    ASSERT_NE(ring, nullptr);
  }
  void TearDown() override {
    void* m;
    while (ring && rte_ring_dequeue(ring, &m) == 0) rte_pktmbuf_free(static_cast<rte_mbuf*>(m));
    vtep.reset();
    rte_ring_free(ring);
  }
  // Runs one frame through the filter; returns whether the bridge gets it.
  bool passes(const std::vector<uint8_t>& bytes) {
    rte_mbuf* m = test::make_raw(test::test_pool(), bytes);
    const uint16_t left = vtep->filter(0, &m, 1);
    if (left) rte_pktmbuf_free(m);
    return left == 1;
  }
  std::shared_ptr<CapturePort> port;
  std::shared_ptr<PortVtep> vtep;
  rte_ring* ring = nullptr;
  sw::PortStats tunnel_stats;
};

using PortVtepTest = Fixture;

TEST_F(PortVtepTest, AnswersArpForLocalIpFromItsMacAndLeavesOtherArpToTheBridge) {
  EXPECT_FALSE(passes(arp(1, kPeerMac, ip("10.97.0.2"), ip("10.97.0.1"),
                          *sw::MacAddr::parse("ff:ff:ff:ff:ff:ff"))));
  ASSERT_EQ(port->sent.size(), 1u);
  const auto r = test::bytes_of(port->sent[0]);
  ASSERT_GE(r.size(), 42u);
  EXPECT_EQ(sw::MacAddr::from_bytes(r.data()), kPeerMac);
  EXPECT_EQ(sw::MacAddr::from_bytes(r.data() + 6), kVtepMac);
  EXPECT_EQ(r[21], 2) << "an ARP reply";
  EXPECT_EQ(sw::MacAddr::from_bytes(r.data() + 22), kVtepMac);
  uint32_t spa, tpa;
  std::memcpy(&spa, r.data() + 28, 4);
  std::memcpy(&tpa, r.data() + 38, 4);
  EXPECT_EQ(spa, ip("10.97.0.1"));
  EXPECT_EQ(tpa, ip("10.97.0.2"));
  EXPECT_EQ(vtep->counters().arp_replied, 1u);
  // For another address: the bridge's business.
  EXPECT_TRUE(passes(arp(1, kPeerMac, ip("10.97.0.2"), ip("10.97.0.3"),
                         *sw::MacAddr::parse("ff:ff:ff:ff:ff:ff"))));
  EXPECT_EQ(port->sent.size(), 1u);
}

TEST_F(PortVtepTest, ResolvesATrackedNextHopFromTheReplyAndRequestsItUntilThen) {
  const uint32_t hop = ip("10.97.0.254");
  ASSERT_TRUE(vtep->track(hop));
  EXPECT_FALSE(vtep->resolve(0, hop)) << "unknown yet";
  ASSERT_EQ(port->sent.size(), 1u) << "one ARP request sent";
  const auto q = test::bytes_of(port->sent[0]);
  EXPECT_EQ(sw::MacAddr::from_bytes(q.data()), *sw::MacAddr::parse("ff:ff:ff:ff:ff:ff"));
  EXPECT_EQ(q[21], 1);
  uint32_t tpa;
  std::memcpy(&tpa, q.data() + 38, 4);
  EXPECT_EQ(tpa, hop);
  EXPECT_FALSE(vtep->resolve(0, hop));
  EXPECT_EQ(port->sent.size(), 1u) << "no second request within a second";
  EXPECT_FALSE(passes(arp(2, kPeerMac, hop, ip("10.97.0.1"), kVtepMac)));
  const auto mac = vtep->resolve(0, hop);
  ASSERT_TRUE(mac);
  EXPECT_EQ(*mac, kPeerMac);
  // A reply about an address nobody routes through teaches nothing.
  EXPECT_FALSE(passes(arp(2, kPeerMac, ip("10.97.0.77"), ip("10.97.0.1"), kVtepMac)));
  EXPECT_FALSE(vtep->resolve(0, ip("10.97.0.77")));
}

TEST_F(PortVtepTest, DecapsulatesVxlanAndGreForLocalIpIntoTheTunnelsRing) {
  std::string error;
  ASSERT_TRUE(
      vtep->attach(TunnelKind::kVxlan, 4789, ip("10.97.0.2"), 42, ring, &tunnel_stats, error));
  ASSERT_TRUE(vtep->attach(TunnelKind::kGre, 0, ip("10.97.0.2"), 7, ring, &tunnel_stats, error));
  EXPECT_FALSE(
      vtep->attach(TunnelKind::kVxlan, 4789, ip("10.97.0.2"), 42, ring, &tunnel_stats, error));
  EXPECT_NE(error.find("already"), std::string::npos);

  EXPECT_FALSE(passes(outer(ip("10.97.0.2"), ip("10.97.0.1"), IPPROTO_UDP, vxlan(42))));
  EXPECT_FALSE(passes(outer(ip("10.97.0.2"), ip("10.97.0.1"), 47, gre(7))));
  ASSERT_EQ(rte_ring_count(ring), 2u);
  for (int i = 0; i < 2; ++i) {
    void* m = nullptr;
    ASSERT_EQ(rte_ring_dequeue(ring, &m), 0);
    const auto seen = test::decode(static_cast<rte_mbuf*>(m));
    EXPECT_EQ(seen.dst, "02:00:00:00:00:09") << "the inner frame";
    EXPECT_TRUE(seen.payload_intact);
    rte_pktmbuf_free(static_cast<rte_mbuf*>(m));
  }
  EXPECT_EQ(vtep->counters().rx_tunnel, 2u);
  // Not ours: another destination, another UDP port, plain traffic.
  EXPECT_TRUE(passes(outer(ip("10.97.0.2"), ip("10.97.0.3"), IPPROTO_UDP, vxlan(42))));
  EXPECT_TRUE(passes(outer(ip("10.97.0.2"), ip("10.97.0.1"), IPPROTO_UDP, vxlan(42, 4790))));
  EXPECT_TRUE(passes(test::frame_bytes({})));
}

TEST_F(PortVtepTest, CountsUnknownTunnelsAndMalformedOuterHeadersAndDropsThem) {
  std::string error;
  ASSERT_TRUE(
      vtep->attach(TunnelKind::kVxlan, 4789, ip("10.97.0.2"), 42, ring, &tunnel_stats, error));
  EXPECT_FALSE(passes(outer(ip("10.97.0.2"), ip("10.97.0.1"), IPPROTO_UDP, vxlan(43))));
  EXPECT_FALSE(passes(outer(ip("10.97.0.9"), ip("10.97.0.1"), IPPROTO_UDP, vxlan(42))));
  auto bad_sum = outer(ip("10.97.0.2"), ip("10.97.0.1"), IPPROTO_UDP, vxlan(42));
  bad_sum[24] ^= 1;
  EXPECT_FALSE(passes(bad_sum));
  auto fragment = outer(ip("10.97.0.2"), ip("10.97.0.1"), IPPROTO_UDP, vxlan(42));
  fragment[20] = 0x20;  // more fragments, checksum still right
  fragment[24] = fragment[25] = 0;
  const uint16_t sum = static_cast<uint16_t>(~rte_raw_cksum(fragment.data() + 14, 20));
  std::memcpy(fragment.data() + 24, &sum, 2);
  EXPECT_FALSE(passes(fragment));
  auto short_len = outer(ip("10.97.0.2"), ip("10.97.0.1"), IPPROTO_UDP, vxlan(42));
  sw::store_be16(short_len.data() + 14 + 20 + 4, 9);  // UDP length disagrees with IP's
  EXPECT_FALSE(passes(short_len));
  auto bad_flags = vxlan(42);
  bad_flags[8] = 0x0c;
  EXPECT_FALSE(passes(outer(ip("10.97.0.2"), ip("10.97.0.1"), IPPROTO_UDP, bad_flags)));
  EXPECT_EQ(rte_ring_count(ring), 0u);
  const auto c = vtep->counters();
  EXPECT_EQ(c.no_tunnel, 2u);
  EXPECT_EQ(c.malformed, 4u);
  const auto s = tunnel_stats.read();
  EXPECT_EQ(s.drops[static_cast<size_t>(sw::DropReason::kNoTunnel)], 1u)
      << "same remote, other VNI";
  EXPECT_EQ(s.drops[static_cast<size_t>(sw::DropReason::kTunnelMalformed)], 4u);
}

TEST_F(PortVtepTest, OneLocalIpPerUnderlayPort) {
  std::string error;
  EXPECT_EQ(PortVtep::acquire(port, ip("10.97.0.1"), test::test_pool(), error), vtep);
  EXPECT_FALSE(PortVtep::acquire(port, ip("10.97.0.5"), test::test_pool(), error));
  EXPECT_NE(error.find("already carries local_ip 10.97.0.1"), std::string::npos) << error;
}

TEST(NeighbourCache, ExpiresRefreshesAndBacksOffItsRequests) {
  NeighbourCache c;
  const uint32_t hop = 7;
  EXPECT_FALSE(c.learn(hop, kPeerMac, 0)) << "untracked addresses are not kept";
  ASSERT_TRUE(c.track(hop));
  auto l = c.lookup(hop, 1000);
  EXPECT_FALSE(l.resolved);
  EXPECT_TRUE(l.send_request);
  EXPECT_FALSE(c.lookup(hop, 1500).send_request);
  EXPECT_TRUE(c.lookup(hop, 2000).send_request);
  EXPECT_TRUE(c.lookup(hop, 3000).send_request);
  EXPECT_FALSE(c.lookup(hop, 4000).send_request) << "after three tries: every 5 s";
  EXPECT_TRUE(c.lookup(hop, 8000).send_request);
  ASSERT_TRUE(c.learn(hop, kPeerMac, 10'000));
  l = c.lookup(hop, 10'001);
  EXPECT_TRUE(l.resolved);
  EXPECT_EQ(l.mac, kPeerMac);
  EXPECT_FALSE(l.send_request);
  l = c.lookup(hop, 10'000 + NeighbourCache::kReachableMs);
  EXPECT_TRUE(l.resolved) << "stale: still used while being confirmed";
  EXPECT_TRUE(l.send_request);
  EXPECT_FALSE(c.lookup(hop, 10'000 + NeighbourCache::kExpireMs).resolved) << "expired";
  c.untrack(hop);
  EXPECT_FALSE(c.tracked(hop));
  for (uint32_t i = 0; i < NeighbourCache::kSize; ++i) EXPECT_TRUE(c.track(100 + i));
  EXPECT_FALSE(c.track(99)) << "full";
}

}  // namespace
}  // namespace lvs::tunnels
