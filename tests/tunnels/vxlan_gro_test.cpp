// UDP GRO buffers of VXLAN datagrams (tunnels/vxlan_gro.hpp): consecutive pieces of one inner TCP
// stream are joined into one TSO super-frame with the datapath's offload flags; anything else
// (a gap in sequence numbers, a bad inner checksum, another flow) is split into one packet each.
#include "tunnels/vxlan_gro.hpp"

#include <gtest/gtest.h>
#include <rte_ip.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "tests/support/frames.hpp"
#include "tunnels/inner_gso.hpp"
#include "tunnels/large_frame_pool.hpp"
#include "tunnels/underlay_endpoint.hpp"
#include "tunnels/vxlan_header.hpp"

namespace lvs::tunnels {
namespace {

constexpr uint16_t kMss = 100;

// One VXLAN datagram (UDP payload): VXLAN + Ethernet + IPv4 + TCP (20 bytes) + payload.
std::vector<uint8_t> datagram(uint32_t seq, uint16_t len, uint8_t fill, uint8_t flags = 0x10) {
  std::vector<uint8_t> d(8 + 14 + 20 + 20 + len, 0);
  write_vxlan_header(d.data(), 42);
  uint8_t* eth = d.data() + 8;
  const uint8_t macs[12] = {2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1};
  std::memcpy(eth, macs, 12);
  eth[12] = 0x08;
  uint8_t* ip = eth + 14;
  ip[0] = 0x45;
  sw::store_be16(ip + 2, static_cast<uint16_t>(40 + len));
  ip[6] = 0x40;
  ip[8] = 64;
  ip[9] = 6;
  const uint8_t addrs[8] = {10, 0, 0, 1, 10, 0, 0, 2};
  std::memcpy(ip + 12, addrs, 8);
  const uint16_t ipsum = static_cast<uint16_t>(~rte_raw_cksum(ip, 20));
  std::memcpy(ip + 10, &ipsum, 2);
  uint8_t* tcp = ip + 20;
  sw::store_be16(tcp, 40000);
  sw::store_be16(tcp + 2, 5201);
  tcp[4] = static_cast<uint8_t>(seq >> 24), tcp[5] = static_cast<uint8_t>(seq >> 16);
  tcp[6] = static_cast<uint8_t>(seq >> 8), tcp[7] = static_cast<uint8_t>(seq);
  tcp[11] = 7;  // ack
  tcp[12] = 0x50;
  tcp[13] = flags;
  sw::store_be16(tcp + 14, 512);
  std::memset(tcp + 20, fill, len);
  uint32_t s = rte_raw_cksum(ip + 12, 8) + rte_cpu_to_be_16(6) +
               rte_cpu_to_be_16(static_cast<uint16_t>(20 + len)) + rte_raw_cksum(tcp, 20 + len);
  const uint16_t sum = static_cast<uint16_t>(~csum_fold32(s));
  std::memcpy(tcp + 16, &sum, 2);
  return d;
}

rte_mbuf* buffer(const std::vector<std::vector<uint8_t>>& ds) {
  std::vector<uint8_t> all;
  for (const auto& d : ds) all.insert(all.end(), d.begin(), d.end());
  return test::make_raw(test::test_pool(), all);
}

struct Got {
  std::vector<GroPacket> packets;
  ~Got() {
    for (auto& p : packets) rte_pktmbuf_free(p.m);
  }
};

// `large`: the pool of 64 KiB mbufs a joined frame goes into (nullptr: a chain of test_pool()).
void receive(rte_mbuf* m, uint16_t gso_size, Got& got, rte_mempool* large = nullptr) {
  GroPacket out[64];
  uint64_t dropped = 0;
  const unsigned n = vxlan_gro_receive(m, gso_size, test::test_pool(), large, out, 64, dropped);
  EXPECT_EQ(dropped, 0u);
  got.packets.assign(out, out + n);
}

// The buffer as the endpoint receives it: a chain of test_pool() mbufs of `seg` bytes each.
rte_mbuf* chained(const std::vector<std::vector<uint8_t>>& ds, uint16_t seg) {
  std::vector<uint8_t> all;
  for (const auto& d : ds) all.insert(all.end(), d.begin(), d.end());
  rte_mbuf* head = nullptr;
  for (size_t at = 0; at < all.size(); at += seg) {
    const size_t len = std::min<size_t>(seg, all.size() - at);
    const auto from = all.begin() + static_cast<std::ptrdiff_t>(at);
    rte_mbuf* s =
        test::make_raw(test::test_pool(), std::vector<uint8_t>(from, from + std::ptrdiff_t(len)));
    if (head == nullptr) {
      head = s;
    } else {
      EXPECT_EQ(rte_pktmbuf_chain(head, s), 0);
    }
  }
  return head;
}

class VxlanGroPools : public ::testing::TestWithParam<bool> {
 protected:
  rte_mempool* large() const { return GetParam() ? large_frame_pool() : nullptr; }
};

TEST_P(VxlanGroPools, ConsecutiveTcpPiecesBecomeOneSuperFrame) {
  ASSERT_NE(test::test_pool(), nullptr);
  if (GetParam()) {
    ASSERT_NE(large_frame_pool(), nullptr);
  }
  const uint16_t gso = static_cast<uint16_t>(datagram(0, kMss, 0).size());
  Got got;
  receive(buffer({datagram(1000, kMss, 0xa1), datagram(1100, kMss, 0xa2),
                  datagram(1200, 40, 0xa3, 0x18)}),
          gso, got, large());
  ASSERT_EQ(got.packets.size(), 1u);
  GroPacket& p = got.packets[0];
  if (GetParam()) {
    EXPECT_EQ(p.m->pool, large_frame_pool()) << "one 64 KiB mbuf";
    EXPECT_EQ(p.m->nb_segs, 1);
  }
  EXPECT_EQ(p.mss, kMss);
  EXPECT_EQ(p.l4_len, 20);
  uint32_t vni = 0;
  ASSERT_EQ(TunnelReceiver::decap(TunnelKind::kVxlan, p.m, vni), DecapStatus::kOk);
  EXPECT_EQ(vni, 42u);
  mark_joined(p.m, p);
  EXPECT_TRUE(p.m->ol_flags & RTE_MBUF_F_TX_TCP_SEG);
  EXPECT_EQ(p.m->tso_segsz, kMss);
  const auto b = test::bytes_of(p.m);
  ASSERT_EQ(b.size(), 14u + 20 + 20 + 240);
  EXPECT_EQ(sw::load_be16(b.data() + 14 + 2), 20 + 20 + 240) << "IPv4 total length";
  EXPECT_EQ(rte_raw_cksum(b.data() + 14, 20), 0xffff) << "IPv4 header checksum";
  EXPECT_EQ(b[14 + 20 + 13], 0x18) << "PSH of the last piece kept";
  EXPECT_EQ(b[54], 0xa1);
  EXPECT_EQ(b[54 + kMss], 0xa2);
  EXPECT_EQ(b[54 + 2 * kMss], 0xa3);
  EXPECT_EQ(b.back(), 0xa3);
  // The TCP checksum field holds the pseudo-header sum over the whole length (pending checksum).
  uint32_t s =
      rte_raw_cksum(b.data() + 14 + 12, 8) + rte_cpu_to_be_16(6) + rte_cpu_to_be_16(20 + 240);
  uint16_t field;
  std::memcpy(&field, b.data() + 14 + 20 + 16, 2);
  EXPECT_EQ(field, static_cast<uint16_t>(csum_fold32(s)));
}

TEST_P(VxlanGroPools, GapsBadChecksumsAndOtherFlowsAreSplitIntoSeparatePackets) {
  ASSERT_NE(test::test_pool(), nullptr);
  const uint16_t gso = static_cast<uint16_t>(datagram(0, kMss, 0).size());
  {
    Got got;  // a gap in sequence numbers
    receive(buffer({datagram(1000, kMss, 1), datagram(1300, kMss, 2)}), gso, got, large());
    ASSERT_EQ(got.packets.size(), 2u);
    for (auto& p : got.packets) {
      EXPECT_EQ(p.mss, 0);
      EXPECT_EQ(p.m->pkt_len, gso);
    }
    EXPECT_EQ(test::bytes_of(got.packets[1].m), datagram(1300, kMss, 2));
  }
  {
    Got got;  // corrupted payload: its checksum no longer matches
    auto bad = datagram(1100, kMss, 2);
    bad.back() ^= 0xff;
    receive(buffer({datagram(1000, kMss, 1), bad}), gso, got, large());
    EXPECT_EQ(got.packets.size(), 2u);
  }
  {
    Got got;  // another flow (destination port) in the second datagram
    auto other = datagram(1100, kMss, 2);
    other[8 + 14 + 20 + 3] ^= 1;
    receive(buffer({datagram(1000, kMss, 1), other}), gso, got, large());
    EXPECT_EQ(got.packets.size(), 2u);
  }
  {
    Got got;  // a SYN never merges
    receive(buffer({datagram(1000, kMss, 1, 0x12), datagram(1100, kMss, 2)}), gso, got, large());
    EXPECT_EQ(got.packets.size(), 2u);
  }
}

// Realistic sizes: 45 pieces of 1398 bytes (a 62 KiB super-frame) in a buffer chained across
// odd-sized segments, so that pieces straddle mbufs. The flat join (one 64 KiB mbuf, checksums
// over the copy) and the chain join (checksums first) give the same bytes, which are the first
// piece's headers (fixed up) followed by every payload.
TEST(VxlanGro, FlatJoinMatchesChainJoinByteForByte) {
  ASSERT_NE(large_frame_pool(), nullptr);
  constexpr uint16_t kBig = 1398;
  std::vector<std::vector<uint8_t>> ds;
  for (unsigned i = 0; i < 45; ++i)
    ds.push_back(datagram(7000 + i * kBig, i == 44 ? 333 : kBig, static_cast<uint8_t>(i * 7 + 1),
                          i == 44 ? 0x18 : 0x10));
  for (unsigned i = 0; i < 45; ++i)  // payload bytes that differ within each piece, too
    for (unsigned j = 0; j < 64; ++j) ds[i][8 + 14 + 20 + 20 + j * 5] = static_cast<uint8_t>(i ^ j);
  for (auto& d : ds) {  // checksums again after the edit
    uint8_t* tcp = d.data() + 8 + 14 + 20;
    tcp[16] = tcp[17] = 0;
    const uint32_t tl = static_cast<uint32_t>(d.size() - 8 - 14 - 20);
    uint32_t s2 = rte_raw_cksum(d.data() + 8 + 14 + 12, 8) + rte_cpu_to_be_16(6) +
                  rte_cpu_to_be_16(static_cast<uint16_t>(tl)) + rte_raw_cksum(tcp, tl);
    const uint16_t c = static_cast<uint16_t>(~csum_fold32(s2));
    std::memcpy(tcp + 16, &c, 2);
  }
  const uint16_t gso = static_cast<uint16_t>(ds[0].size());
  Got flat, chain;
  receive(chained(ds, 1000), gso, flat, large_frame_pool());
  receive(chained(ds, 1000), gso, chain, nullptr);
  ASSERT_EQ(flat.packets.size(), 1u);
  ASSERT_EQ(chain.packets.size(), 1u);
  EXPECT_EQ(flat.packets[0].m->pool, large_frame_pool());
  EXPECT_EQ(flat.packets[0].m->nb_segs, 1);
  EXPECT_EQ(flat.packets[0].mss, kBig);
  EXPECT_EQ(chain.packets[0].mss, kBig);
  const auto got = test::bytes_of(flat.packets[0].m);
  EXPECT_EQ(got, test::bytes_of(chain.packets[0].m));
  std::vector<uint8_t> want(ds[0].begin(), ds[0].begin() + 8 + 14 + 20 + 20);
  for (const auto& d : ds) want.insert(want.end(), d.begin() + 8 + 14 + 20 + 20, d.end());
  ASSERT_EQ(got.size(), want.size());
  uint8_t* ip = want.data() + 8 + 14;
  sw::store_be16(ip + 2, static_cast<uint16_t>(want.size() - 8 - 14));
  ip[10] = ip[11] = 0;
  const uint16_t ipsum = static_cast<uint16_t>(~rte_raw_cksum(ip, 20));
  std::memcpy(ip + 10, &ipsum, 2);
  ip[20 + 13] |= 0x08;  // PSH of the last piece
  uint32_t ph = rte_raw_cksum(ip + 12, 8) + rte_cpu_to_be_16(6) +
                rte_cpu_to_be_16(static_cast<uint16_t>(want.size() - 8 - 14 - 20));
  const uint16_t pending = static_cast<uint16_t>(csum_fold32(ph));
  std::memcpy(ip + 20 + 16, &pending, 2);
  EXPECT_EQ(got, want);

  // One flipped payload byte in a piece that straddles two segments: no join, every datagram
  // comes out as it was received.
  auto bad = ds;
  bad[21][8 + 14 + 20 + 20 + 700] ^= 0x5a;
  Got split;
  receive(chained(bad, 1000), gso, split, large_frame_pool());
  ASSERT_EQ(split.packets.size(), 45u);
  for (unsigned i = 0; i < 45; ++i) {
    EXPECT_EQ(split.packets[i].mss, 0);
    EXPECT_EQ(test::bytes_of(split.packets[i].m), bad[i]) << "datagram " << i;
  }
}

// GRE (tcp_join_frames): decapsulated inner frames of one burst. A run of consecutive pieces
// becomes one super-frame with the same bytes as the VXLAN join of the same pieces; the frames
// around it (another flow, a SYN) pass as they are, in order; a bad checksum stops the join.
TEST(VxlanGro, GreFramesOfOneStreamAreJoinedTheOthersPassInOrder) {
  ASSERT_NE(large_frame_pool(), nullptr);
  auto inner = [](const std::vector<uint8_t>& d) {  // the datagram less its VXLAN header
    return test::make_raw(test::test_pool(), std::vector<uint8_t>(d.begin() + 8, d.end()));
  };
  std::vector<std::vector<uint8_t>> run;
  for (unsigned i = 0; i < 5; ++i)
    run.push_back(datagram(5000 + i * kMss, i == 4 ? 17 : kMss, static_cast<uint8_t>(0x30 + i)));
  const auto syn = datagram(1, 0, 0, 0x02);
  for (rte_mempool* large : {large_frame_pool(), static_cast<rte_mempool*>(nullptr)}) {
    rte_mbuf* frames[8];
    unsigned n = 0;
    frames[n++] = inner(syn);
    for (const auto& d : run) frames[n++] = inner(d);
    frames[n++] = inner(syn);
    GroPacket out[8];
    Got got;
    got.packets.assign(out, out + tcp_join_frames(frames, n, test::test_pool(), large, out));
    ASSERT_EQ(got.packets.size(), 3u);
    EXPECT_EQ(got.packets[0].mss, 0);
    EXPECT_EQ(test::bytes_of(got.packets[0].m), std::vector<uint8_t>(syn.begin() + 8, syn.end()));
    EXPECT_EQ(got.packets[1].mss, kMss);
    EXPECT_EQ(got.packets[1].l4_len, 20);
    EXPECT_EQ(got.packets[2].mss, 0);
    // The same pieces as one UDP GRO buffer: the same joined bytes after the VXLAN header.
    std::vector<uint8_t> b;
    for (const auto& d : run) b.insert(b.end(), d.begin(), d.end());
    Got vx;
    receive(test::make_raw(test::test_pool(), b), static_cast<uint16_t>(run[0].size()), vx);
    ASSERT_EQ(vx.packets.size(), 1u);
    auto want = test::bytes_of(vx.packets[0].m);
    want.erase(want.begin(), want.begin() + 8);
    EXPECT_EQ(test::bytes_of(got.packets[1].m), want);
    if (large != nullptr) {
      EXPECT_EQ(got.packets[1].m->pool, large);
    }
  }
  {
    auto bad = run;
    bad[2][8 + 14 + 20 + 20 + 3] ^= 0x40;
    rte_mbuf* frames[5];
    for (unsigned i = 0; i < 5; ++i) frames[i] = inner(bad[i]);
    GroPacket out[5];
    Got got;
    got.packets.assign(out, out + tcp_join_frames(frames, 5, test::test_pool(),
                                                  large_frame_pool(), out));
    ASSERT_EQ(got.packets.size(), 5u) << "a bad checksum: no join, every frame as it came";
    for (unsigned i = 0; i < 5; ++i) {
      EXPECT_EQ(got.packets[i].mss, 0);
      EXPECT_EQ(test::bytes_of(got.packets[i].m),
                std::vector<uint8_t>(bad[i].begin() + 8, bad[i].end()));
    }
  }
}

INSTANTIATE_TEST_SUITE_P(ChainOrFlat, VxlanGroPools, ::testing::Bool());

}  // namespace
}  // namespace lvs::tunnels
