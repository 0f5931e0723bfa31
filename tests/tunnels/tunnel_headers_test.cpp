// VXLAN and GRE headers: what encapsulation writes and what decapsulation refuses.
#include <gtest/gtest.h>
#include <rte_ip.h>

#include <vector>

#include "tests/support/frames.hpp"
#include "tunnels/gre_header.hpp"
#include "tunnels/underlay_endpoint.hpp"
#include "tunnels/vxlan_header.hpp"

namespace lvs::tunnels {
namespace {

TEST(VxlanHeader, WritesFlagsAndVniAsRfc7348) {
  uint8_t h[8];
  write_vxlan_header(h, 0xabcdef);
  EXPECT_EQ(std::vector<uint8_t>(h, h + 8),
            (std::vector<uint8_t>{0x08, 0, 0, 0, 0xab, 0xcd, 0xef, 0}));
  uint32_t vni = 0;
  EXPECT_EQ(parse_vxlan_header(h, 8, vni), DecapStatus::kOk);
  EXPECT_EQ(vni, 0xabcdefu);
}

TEST(VxlanHeader, RefusesMissingIFlagUnknownFlagsReservedBitsAndTruncation) {
  uint8_t h[8];
  uint32_t vni;
  write_vxlan_header(h, 42);
  EXPECT_EQ(parse_vxlan_header(h, 7, vni), DecapStatus::kTruncated);
  h[0] = 0x00;
  EXPECT_EQ(parse_vxlan_header(h, 8, vni), DecapStatus::kBadFlags);
  h[0] = 0x88;  // GBP-style extra flag
  EXPECT_EQ(parse_vxlan_header(h, 8, vni), DecapStatus::kBadFlags);
  h[0] = 0x08;
  h[2] = 1;
  EXPECT_EQ(parse_vxlan_header(h, 8, vni), DecapStatus::kReservedBits);
  h[2] = 0;
  h[7] = 1;
  EXPECT_EQ(parse_vxlan_header(h, 8, vni), DecapStatus::kReservedBits);
}

TEST(GreHeader, WritesKeyAndChecksumFieldsAsRfc2890) {
  uint8_t h[16];
  EXPECT_EQ(write_gre_header(h, false, std::nullopt), 4u);
  EXPECT_EQ(std::vector<uint8_t>(h, h + 4), (std::vector<uint8_t>{0, 0, 0x65, 0x58}));
  EXPECT_EQ(write_gre_header(h, true, 0x01020304u), 12u);
  EXPECT_EQ(std::vector<uint8_t>(h, h + 12),
            (std::vector<uint8_t>{0xa0, 0, 0x65, 0x58, 0, 0, 0, 0, 1, 2, 3, 4}));
  GreInfo g;
  ASSERT_EQ(parse_gre_header(h, 12, g), DecapStatus::kOk);
  EXPECT_TRUE(g.has_key && g.has_csum);
  EXPECT_EQ(g.key, 0x01020304u);
  EXPECT_EQ(g.header_len, 12u);
}

TEST(GreHeader, KeylessIsKeyZeroAndSequenceIsSkipped) {
  const uint8_t plain[4] = {0, 0, 0x65, 0x58};
  GreInfo g;
  ASSERT_EQ(parse_gre_header(plain, 4, g), DecapStatus::kOk);
  EXPECT_FALSE(g.has_key);
  EXPECT_EQ(g.key, 0u);
  const uint8_t seq[12] = {0x30, 0, 0x65, 0x58, 0, 0, 0, 9, 0, 0, 0, 1};  // K + S
  ASSERT_EQ(parse_gre_header(seq, 12, g), DecapStatus::kOk);
  EXPECT_EQ(g.key, 9u);
  EXPECT_EQ(g.header_len, 12u);
}

TEST(GreHeader, RefusesVersionRoutingBitsOtherProtocolsAndTruncation) {
  GreInfo g;
  const uint8_t v1[4] = {0, 1, 0x65, 0x58};
  EXPECT_EQ(parse_gre_header(v1, 4, g), DecapStatus::kBadVersion);
  const uint8_t routing[4] = {0x40, 0, 0x65, 0x58};
  EXPECT_EQ(parse_gre_header(routing, 4, g), DecapStatus::kBadFlags);
  const uint8_t strict[4] = {0x08, 0, 0x65, 0x58};
  EXPECT_EQ(parse_gre_header(strict, 4, g), DecapStatus::kBadFlags);
  const uint8_t ipv4[4] = {0, 0, 0x08, 0x00};
  EXPECT_EQ(parse_gre_header(ipv4, 4, g), DecapStatus::kBadProtocol);
  const uint8_t key_cut[6] = {0x20, 0, 0x65, 0x58, 0, 0};
  EXPECT_EQ(parse_gre_header(key_cut, 6, g), DecapStatus::kTruncated);
  EXPECT_EQ(parse_gre_header(key_cut, 3, g), DecapStatus::kTruncated);
  const uint8_t reserved1[8] = {0x80, 0, 0x65, 0x58, 0, 0, 0, 1};
  EXPECT_EQ(parse_gre_header(reserved1, 8, g), DecapStatus::kReservedBits);
  const uint8_t ignored_bits[4] = {0x00, 0xf8, 0x65, 0x58};  // bits 6-12: ignored (RFC 2784)
  EXPECT_EQ(parse_gre_header(ignored_bits, 4, g), DecapStatus::kOk);
}

std::vector<uint8_t> inner_frame() { return test::frame_bytes({.dst = "02:00:00:00:00:02"}); }

TEST(Decap, VxlanStripsTheHeaderAndReadsTheVni) {
  std::vector<uint8_t> pkt(8);
  write_vxlan_header(pkt.data(), 77);
  const auto inner = inner_frame();
  pkt.insert(pkt.end(), inner.begin(), inner.end());
  rte_mbuf* m = test::make_raw(test::test_pool(), pkt);
  uint32_t key = 0;
  ASSERT_EQ(TunnelReceiver::decap(TunnelKind::kVxlan, m, key), DecapStatus::kOk);
  EXPECT_EQ(key, 77u);
  EXPECT_EQ(test::bytes_of(m), inner);
  rte_pktmbuf_free(m);
}

TEST(Decap, TooShortForAnInnerEthernetHeaderIsTruncated) {
  std::vector<uint8_t> pkt(8 + 10);
  write_vxlan_header(pkt.data(), 1);
  rte_mbuf* m = test::make_raw(test::test_pool(), pkt);
  uint32_t key;
  EXPECT_EQ(TunnelReceiver::decap(TunnelKind::kVxlan, m, key), DecapStatus::kTruncated);
  rte_pktmbuf_free(m);
}

std::vector<uint8_t> gre_packet(bool csum, uint32_t key, const std::vector<uint8_t>& inner) {
  std::vector<uint8_t> pkt(20 + 12);
  pkt[0] = 0x45;
  pkt[9] = 47;
  const size_t gl = write_gre_header(&pkt[20], csum, key);
  pkt.resize(20 + gl);
  pkt.insert(pkt.end(), inner.begin(), inner.end());
  if (csum) {
    const uint16_t c = static_cast<uint16_t>(~rte_raw_cksum(&pkt[20], pkt.size() - 20));
    std::memcpy(&pkt[24], &c, 2);
  }
  return pkt;
}

TEST(Decap, GreChecksumIsVerified) {
  const auto inner = inner_frame();
  auto pkt = gre_packet(true, 5, inner);
  rte_mbuf* m = test::make_raw(test::test_pool(), pkt);
  uint32_t key = 0;
  ASSERT_EQ(TunnelReceiver::decap(TunnelKind::kGre, m, key), DecapStatus::kOk);
  EXPECT_EQ(key, 5u);
  EXPECT_EQ(test::bytes_of(m), inner);
  rte_pktmbuf_free(m);
  pkt.back() ^= 0x40;  // one payload bit flipped in flight
  m = test::make_raw(test::test_pool(), pkt);
  EXPECT_EQ(TunnelReceiver::decap(TunnelKind::kGre, m, key), DecapStatus::kBadChecksum);
  rte_pktmbuf_free(m);
}

TEST(Decap, GreInsideANonGreOrNonIpv4PacketIsRefused) {
  auto pkt = gre_packet(false, 1, inner_frame());
  pkt[0] = 0x65;  // IPv6 version nibble
  rte_mbuf* m = test::make_raw(test::test_pool(), pkt);
  uint32_t key;
  EXPECT_NE(TunnelReceiver::decap(TunnelKind::kGre, m, key), DecapStatus::kOk);
  rte_pktmbuf_free(m);
}

}  // namespace
}  // namespace lvs::tunnels
