// ARP / ND suppression (switch/neighbour_suppress.*, neighbour_table.*): requests for targets in
// the bridge's neighbour table are answered out of the input port, the rest floods as before.
#include "switch/neighbour_suppress.hpp"

#include <gtest/gtest.h>
#include <rte_ip.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "tests/support/bridge_harness.hpp"

namespace lvs::test {
namespace {

using sw::DropReason;
using sw::IpAddr;
using sw::MacAddr;
using sw::NeighbourEntry;
using sw::VlanPolicy;
using Bytes = std::vector<uint8_t>;

constexpr const char* kAsker = "02:00:00:00:00:0a";
constexpr const char* kRemote = "02:00:00:00:09:09";  // the table's answer

sw::NeighbourEntry entry(uint16_t vlan, const char* ip, const char* mac) {
  return {vlan, *IpAddr::parse(ip), *MacAddr::parse(mac)};
}

uint16_t load_be16_at(const Bytes& b, size_t off) { return sw::load_be16(b.data() + off); }
void put(Bytes& b, std::initializer_list<uint8_t> v) { b.insert(b.end(), v); }
void put_mac(Bytes& b, const char* mac) {
  const auto m = *MacAddr::parse(mac);
  b.insert(b.end(), m.bytes.begin(), m.bytes.end());
}
void put_ip(Bytes& b, const char* ip) {
  const auto a = *IpAddr::parse(ip);
  b.insert(b.end(), a.bytes.begin(), a.bytes.begin() + (a.v6 ? 16 : 4));
}
void put_eth(Bytes& b, const char* dst, const char* src, std::optional<uint16_t> vid,
             uint16_t type) {
  put_mac(b, dst);
  put_mac(b, src);
  if (vid) put(b, {0x81, 0x00, static_cast<uint8_t>(*vid >> 8), static_cast<uint8_t>(*vid)});
  put(b, {static_cast<uint8_t>(type >> 8), static_cast<uint8_t>(type)});
}

struct Arp {
  const char* dst = "ff:ff:ff:ff:ff:ff";
  const char* src = kAsker;
  std::optional<uint16_t> vid;
  uint16_t op = 1;
  const char* sha = kAsker;
  const char* spa = "10.0.0.1";
  const char* tha = "00:00:00:00:00:00";
  const char* tpa = "10.0.0.9";
};
Bytes arp(const Arp& a) {
  Bytes b;
  put_eth(b, a.dst, a.src, a.vid, 0x0806);
  put(b, {0, 1, 8, 0, 6, 4, 0, static_cast<uint8_t>(a.op)});
  put_mac(b, a.sha);
  put_ip(b, a.spa);
  put_mac(b, a.tha);
  put_ip(b, a.tpa);
  b.resize(std::max<size_t>(b.size(), 60), 0);  // padded as on the wire
  return b;
}

// An ICMPv6 packet's checksum by DPDK's own code (not ours): fills it, or checks it.
void fill_icmpv6_checksum(uint8_t* ip6) {
  ip6[40 + 2] = ip6[40 + 3] = 0;
  const auto* h = reinterpret_cast<const rte_ipv6_hdr*>(ip6);
  const uint16_t c = rte_ipv6_udptcp_cksum(h, ip6 + 40);
  std::memcpy(ip6 + 42, &c, 2);  // rte_ returns it in network order already
}
bool icmpv6_checksum_ok(const uint8_t* ip6) {
  Bytes copy(ip6, ip6 + 40 + sw::load_be16(ip6 + 4));
  fill_icmpv6_checksum(copy.data());
  return std::memcmp(copy.data() + 42, ip6 + 42, 2) == 0;
}

struct Ns {
  std::optional<uint16_t> vid;
  const char* src_ip = "fd00::1";
  const char* target = "fd00::9";
  uint8_t hop_limit = 255;
  bool corrupt_checksum = false;
};
Bytes ns(const Ns& n) {
  Bytes b;
  put_eth(b, "33:33:ff:00:00:09", kAsker, n.vid, 0x86dd);
  const size_t ip = b.size();
  put(b, {0x60, 0, 0, 0, 0, 32, 58, n.hop_limit});
  put_ip(b, n.src_ip);
  put_ip(b, "ff02::1:ff00:9");
  put(b, {135, 0, 0, 0, 0, 0, 0, 0});
  put_ip(b, n.target);
  put(b, {1, 1});  // source link-layer address option
  put_mac(b, kAsker);
  fill_icmpv6_checksum(b.data() + ip);
  if (n.corrupt_checksum) b[ip + 42] ^= 1;
  return b;
}

std::vector<BridgeHarness::PortDef> ports() {
  return {{"t1", VlanPolicy::trunk({10, 20})},
          {"t2", VlanPolicy::trunk({10, 20})},
          {"a10", VlanPolicy::access(10)},
          {"tun", VlanPolicy::trunk({}), true, /*split_horizon_group=*/1}};
}

struct Fixture {
  BridgeHarness br{ports()};
  Fixture() {
    auto err = br.datapath().set_neighbours(
        "br0", {entry(10, "10.0.0.9", kRemote), entry(10, "fd00::9", kRemote)});
    if (err) throw std::runtime_error(*err);
  }
  size_t others(const std::string& except) {
    size_t n = 0;
    for (auto& [p, frames] : br.received_all())
      if (p != except) n += frames.size();
    return n;
  }
};

TEST(NeighbourSuppress, ArpRequestOnATrunkIsAnsweredTaggedOutOfTheInputPortOnly) {
  Fixture fx;
  fx.br.send_raw("t1", arp({.vid = 10}));
  const auto got = fx.br.received_bytes("t1");
  ASSERT_EQ(got.size(), 1u);
  Bytes want;
  put_eth(want, kAsker, kRemote, 10, 0x0806);
  put(want, {0, 1, 8, 0, 6, 4, 0, 2});
  put_mac(want, kRemote);
  put_ip(want, "10.0.0.9");
  put_mac(want, kAsker);
  put_ip(want, "10.0.0.1");
  EXPECT_EQ(got[0], want);
  EXPECT_EQ(fx.others("t1"), 0u);  // not flooded, not to the tunnel
  EXPECT_EQ(fx.br.drops("t1", DropReason::kArpSuppressed), 1u);
  EXPECT_EQ(fx.br.counters("t1").tx_packets, 1u);
  EXPECT_EQ(fx.br.leaked(), 0);
}

TEST(NeighbourSuppress, ArpRequestOnAnAccessPortIsAnsweredUntagged) {
  Fixture fx;
  fx.br.send_raw("a10", arp({.vid = 0}));  // priority-tagged: the answer leaves untagged
  const auto got = fx.br.received_bytes("a10");
  ASSERT_EQ(got.size(), 1u);
  ASSERT_EQ(got[0].size(), 42u);
  EXPECT_EQ(load_be16_at(got[0], 12), 0x0806);
  EXPECT_EQ(load_be16_at(got[0], 20), 2);  // reply
  EXPECT_EQ(fx.others("a10"), 0u);
  EXPECT_EQ(fx.br.leaked(), 0);
}

TEST(NeighbourSuppress, UnicastArpRequestToAnUnknownMacIsAnsweredToo) {
  Fixture fx;
  fx.br.send_raw("a10", arp({.dst = "02:00:00:00:77:77"}));
  EXPECT_EQ(fx.br.received("a10").size(), 1u);
  EXPECT_EQ(fx.others("a10"), 0u);
}

TEST(NeighbourSuppress, ArpToAKnownMacGoesToItsPortUnanswered) {
  Fixture fx;
  fx.br.send("t2", {.dst = kAsker, .src = kRemote, .vid = 10});  // kRemote learnt on t2
  fx.br.received_all();
  fx.br.send_raw("a10", arp({.dst = kRemote}));
  auto out = fx.br.received_all();
  EXPECT_EQ(out["a10"].size(), 0u);
  EXPECT_EQ(out["t2"].size(), 1u);
  EXPECT_EQ(fx.br.drops("a10", DropReason::kArpSuppressed), 0u);
}

TEST(NeighbourSuppress, UnknownTargetFloodsAsBefore) {
  Fixture fx;
  fx.br.send_raw("t1", arp({.vid = 10, .tpa = "10.0.0.8"}));
  auto out = fx.br.received_all();
  EXPECT_EQ(out["t1"].size(), 0u);
  EXPECT_EQ(out["t2"].size(), 1u);
  EXPECT_EQ(out["a10"].size(), 1u);
  EXPECT_EQ(out["tun"].size(), 1u);
  EXPECT_EQ(fx.br.drops("t1", DropReason::kArpSuppressed), 0u);
}

TEST(NeighbourSuppress, TheTableIsPerVlan) {
  Fixture fx;
  fx.br.send_raw("t1", arp({.vid = 20}));  // 10.0.0.9 is in the table for VLAN 10 only
  EXPECT_EQ(fx.br.received("t1").size(), 0u);
  EXPECT_EQ(fx.br.received("t2").size(), 1u);
}

TEST(NeighbourSuppress, GratuitousProbesAndRepliesAreNotAnswered) {
  Fixture fx;
  for (const Bytes& f : {arp({.spa = "10.0.0.9", .tpa = "10.0.0.9"}),  // gratuitous
                         arp({.spa = "0.0.0.0"}),                      // probe
                         arp({.op = 2})}) {                            // a reply
    fx.br.send_raw("a10", f);
    auto out = fx.br.received_all();
    EXPECT_EQ(out["a10"].size(), 0u);
    EXPECT_EQ(out["t1"].size(), 1u);
  }
  EXPECT_EQ(fx.br.drops("a10", DropReason::kArpSuppressed), 0u);
}

TEST(NeighbourSuppress, RequestsFromATunnelAreNotAnswered) {
  Fixture fx;
  fx.br.send_raw("tun", arp({.vid = 10}));
  auto out = fx.br.received_all();
  EXPECT_EQ(out["tun"].size(), 0u);
  EXPECT_EQ(out["t1"].size(), 1u);  // the remote host answers for its own stations
}

TEST(NeighbourSuppress, NeighbourSolicitationGetsAValidAdvertisement) {
  Fixture fx;
  fx.br.send_raw("t1", ns({.vid = 10}));
  const auto got = fx.br.received_bytes("t1");
  ASSERT_EQ(got.size(), 1u);
  const Bytes& na = got[0];
  ASSERT_EQ(na.size(), 18u + 40 + 32);
  Bytes eth;
  put_eth(eth, kAsker, kRemote, 10, 0x86dd);
  EXPECT_TRUE(std::equal(eth.begin(), eth.end(), na.begin()));
  const uint8_t* ip = na.data() + 18;
  EXPECT_EQ(ip[0], 0x60);
  EXPECT_EQ(load_be16_at(na, 18 + 4), 32);  // payload length
  EXPECT_EQ(ip[6], 58);
  EXPECT_EQ(ip[7], 255);
  EXPECT_EQ(IpAddr::v6_from_bytes(ip + 8).to_string(), "fd00::9");
  EXPECT_EQ(IpAddr::v6_from_bytes(ip + 24).to_string(), "fd00::1");
  const uint8_t* icmp = ip + 40;
  EXPECT_EQ(icmp[0], 136);
  EXPECT_EQ(icmp[1], 0);
  EXPECT_EQ(icmp[4], 0x60);  // solicited, override; not a router
  EXPECT_EQ(IpAddr::v6_from_bytes(icmp + 8).to_string(), "fd00::9");
  EXPECT_EQ(icmp[24], 2);  // target link-layer address
  EXPECT_EQ(icmp[25], 1);
  EXPECT_EQ(MacAddr::from_bytes(icmp + 26).to_string(), kRemote);
  EXPECT_TRUE(icmpv6_checksum_ok(ip));
  // And ours agrees with DPDK's on a packet it did not build.
  Bytes copy = ns({});
  EXPECT_EQ(sw::icmpv6_checksum(copy.data() + 14, 32), 0);
  EXPECT_EQ(fx.others("t1"), 0u);
  EXPECT_EQ(fx.br.drops("t1", DropReason::kNdSuppressed), 1u);
  EXPECT_EQ(fx.br.leaked(), 0);
}

TEST(NeighbourSuppress, InvalidOrDadSolicitationsFloodAsBefore) {
  Fixture fx;
  for (const Bytes& f : {ns({.src_ip = "::"}), ns({.target = "fd00::8"}), ns({.hop_limit = 64}),
                         ns({.corrupt_checksum = true})}) {
    fx.br.send_raw("a10", f);
    auto out = fx.br.received_all();
    EXPECT_EQ(out["a10"].size(), 0u);
    EXPECT_EQ(out["t1"].size(), 1u);
  }
  EXPECT_EQ(fx.br.drops("a10", DropReason::kNdSuppressed), 0u);
}

TEST(NeighbourSuppress, MirroredRequestIsAnsweredFromACopy) {
  BridgeHarness br(ports());
  br.config().bridges[0].mirrors.push_back({.name = "m", .select_all = true, .output_port = "t2"});
  br.apply();
  ASSERT_FALSE(br.datapath().set_neighbours("br0", {entry(10, "10.0.0.9", kRemote)}));
  br.send_raw("a10", arp({}));
  EXPECT_EQ(br.received("a10").size(), 1u);
  EXPECT_EQ(br.received("t2").size(), 2u);  // the request as it came, the reply as it left
  EXPECT_EQ(br.leaked(), 0);
}

TEST(NeighbourSuppress, BadTablesAreRefusedAndChangeNothing) {
  Fixture fx;
  auto& dp = fx.br.datapath();
  EXPECT_NE(dp.set_neighbours("nope", {}), std::nullopt);
  for (const auto& bad : {entry(4096, "10.0.0.2", kRemote), entry(10, "0.0.0.0", kRemote),
                          entry(10, "224.0.0.1", kRemote), entry(10, "ff02::1", kRemote),
                          entry(10, "10.0.0.2", "01:00:5e:00:00:01")}) {
    auto err = dp.set_neighbours("br0", {bad});
    ASSERT_TRUE(err);
    EXPECT_NE(err->find(bad.ip.to_string()), std::string::npos) << *err;
  }
  auto err = dp.set_neighbours(
      "br0", {entry(10, "10.0.0.2", kRemote), entry(10, "10.0.0.2", "02:00:00:00:00:02")});
  ASSERT_TRUE(err);
  EXPECT_NE(err->find("10.0.0.2"), std::string::npos);
  EXPECT_EQ(dp.neighbours("br0").size(), 2u);  // the fixture's
  ASSERT_FALSE(dp.set_neighbours("br0", {}));
  EXPECT_TRUE(dp.neighbours("br0").empty());
  fx.br.send_raw("a10", arp({}));
  EXPECT_EQ(fx.br.received("a10").size(), 0u);  // cleared: floods
  EXPECT_EQ(fx.br.received("t1").size(), 1u);
}

TEST(NeighbourSuppress, TheTableSurvivesAReconfiguration) {
  Fixture fx;
  fx.br.add_port({"a10b", VlanPolicy::access(10)});
  fx.br.send_raw("a10b", arp({}));
  EXPECT_EQ(fx.br.received("a10b").size(), 1u);
}

TEST(NeighbourSuppress, TraceShowsTheAnswer) {
  Fixture fx;
  const Bytes f = arp({.vid = 10});
  const sw::TraceReport r = fx.br.datapath().trace("br0", "t1", f);
  EXPECT_EQ(r.neighbour, sw::NeighbourKind::kArp);
  EXPECT_EQ(MacAddr::from_u64(r.neighbour_mac).to_string(), kRemote);
  ASSERT_EQ(r.outputs.size(), 1u);
  EXPECT_EQ(r.outputs[0].port, fx.br.index("t1"));
  EXPECT_FALSE(r.flooded);
  EXPECT_EQ(fx.br.drops("t1", DropReason::kArpSuppressed), 0u);  // the trace counts nothing
  EXPECT_EQ(fx.br.leaked(), 0);
}

// The table is swapped while a PMD thread forwards requests for its target: every request is
// either answered on its port or flooded, never lost or answered twice, and nothing leaks.
TEST(NeighbourSuppress, TableReplaceWhileForwarding) {
  BridgeHarness br({{"p1", {}}, {"p2", {}}});
  br.datapath().start();
  std::atomic<bool> done{false};
  std::thread swapper([&] {
    for (int i = 0; !done.load(); ++i) {
      std::vector<NeighbourEntry> t;
      if (i % 2 == 0)
        for (int k = 0; k < 64; ++k)
          t.push_back(entry(0, ("10.0.1." + std::to_string(k)).c_str(), kRemote));
      t.push_back(entry(0, i % 2 ? "10.0.0.9" : "10.0.0.7", kRemote));
      ASSERT_FALSE(br.datapath().set_neighbours("br0", std::move(t)));
    }
  });
  // At least kFrames, and on until both tables have been seen at work (or the deadline).
  const unsigned kFrames = 2000;
  unsigned answered = 0, flooded = 0, sent = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  auto drain = [&] {
    rte_mbuf* pkts[64];
    unsigned n;
    while ((n = br.port("p1").collect(pkts, 64)) > 0) {
      answered += n;
      rte_pktmbuf_free_bulk(pkts, n);
    }
    while ((n = br.port("p2").collect(pkts, 64)) > 0) {
      flooded += n;
      rte_pktmbuf_free_bulk(pkts, n);
    }
  };
  auto enough = [&] { return sent >= kFrames && answered > 0 && flooded > 0; };
  while ((!enough() || answered + flooded < sent) && std::chrono::steady_clock::now() < deadline) {
    if (!enough()) {
      rte_mbuf* m = make_raw(test_pool(), arp({}));
      if (br.port("p1").inject(&m, 1) == 1)
        ++sent;
      else
        rte_pktmbuf_free(m);
    }
    drain();
  }
  done = true;
  swapper.join();
  br.datapath().stop();
  drain();
  EXPECT_EQ(answered + flooded, sent);
  EXPECT_GE(sent, kFrames);
  EXPECT_GT(answered, 0u);
  EXPECT_GT(flooded, 0u);
  EXPECT_EQ(br.drops("p1", DropReason::kArpSuppressed), answered);
  EXPECT_EQ(br.leaked(), 0);
}

}  // namespace
}  // namespace lvs::test
