// virtio-net header <-> mbuf offload flags (ports/vnet_header.*), on crafted frames.
#include "ports/vnet_header.hpp"

#include <gtest/gtest.h>
#include <rte_ip.h>

#include <cstring>
#include <vector>

#include "dpdk/eal.hpp"
#include "dpdk/mempool.hpp"

namespace lvs::ports {
namespace {

class VnetHeaderTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dpdk::EalOptions o;
    o.program = "vnet-header-test";
    o.huge = dpdk::EalOptions::Huge::kOff;  // tests never take the host's hugepages
    o.no_huge_memory_mb = 128;
    o.log_level = "*:error";
    ASSERT_TRUE(dpdk::init_eal(o).ok) << dpdk::init_eal(o).error;
    if (pool_ == nullptr)
      pool_ = dpdk::create_pool({.name = "vnet_test", .mbufs = 255, .cache = 0});
    ASSERT_NE(pool_, nullptr);
  }
  void TearDown() override {
    for (rte_mbuf* m : made_) rte_pktmbuf_free(m);
  }

  // Ethernet [+ 802.1Q] + IPv4/IPv6 + TCP (with `tcp_opts` option bytes) or UDP, + payload.
  rte_mbuf* frame(bool v6, bool tcp, bool tagged = false, unsigned tcp_opts = 12,
                  unsigned payload = 100) {
    std::vector<uint8_t> f = {0x02, 0, 0, 0, 0, 2, 0x02, 0, 0, 0, 0, 1};
    if (tagged) f.insert(f.end(), {0x81, 0x00, 0x00, 0x64});
    if (v6) {
      f.insert(f.end(), {0x86, 0xdd, 0x60, 0, 0, 0, 0, 0, static_cast<uint8_t>(tcp ? 6 : 17), 64});
      f.insert(f.end(), 32, 0x11);
    } else {
      f.insert(f.end(),
               {0x08, 0x00, 0x45, 0, 0, 0, 0,  0, 0x40, 0, 64, static_cast<uint8_t>(tcp ? 6 : 17),
                0,    0,    10,   0, 0, 1, 10, 0, 0,    2});
    }
    if (tcp) {
      const auto doff = static_cast<uint8_t>(((20 + tcp_opts) / 4) << 4);
      f.insert(f.end(), {0x30, 0x39, 0x14, 0x51, 0,    0,    0, 1, 0, 0,
                         0,    1,    doff, 0x10, 0xff, 0xff, 0, 0, 0, 0});
      f.insert(f.end(), tcp_opts, 0x01);
    } else {
      f.insert(f.end(), {0x30, 0x39, 0x14, 0x51, 0, 0, 0, 0});
    }
    f.insert(f.end(), payload, 0xab);
    rte_mbuf* m = rte_pktmbuf_alloc(pool_);
    EXPECT_NE(m, nullptr);
    std::memcpy(rte_pktmbuf_append(m, static_cast<uint16_t>(f.size())), f.data(), f.size());
    made_.push_back(m);
    return m;
  }

  static VnetHeader header(uint8_t flags, uint8_t gso, uint16_t hdr_len, uint16_t gso_size,
                           uint16_t start, uint16_t offset) {
    return VnetHeader{flags, gso, hdr_len, gso_size, start, offset};
  }

  static inline rte_mempool* pool_ = nullptr;
  std::vector<rte_mbuf*> made_;
};

TEST_F(VnetHeaderTest, TcpV4GsoBecomesTsoFlags) {
  rte_mbuf* m = frame(false, true);
  // What the kernel hands over for a TCP/IPv4 super-frame with timestamps (DESIGN.md).
  ASSERT_EQ(vnet_to_mbuf(header(kVnetNeedsCsum, kVnetGsoTcpV4, 66, 1448, 34, 16), m), VnetRx::kGso);
  EXPECT_TRUE(m->ol_flags & RTE_MBUF_F_TX_TCP_SEG);
  EXPECT_EQ(m->ol_flags & RTE_MBUF_F_TX_L4_MASK, RTE_MBUF_F_TX_TCP_CKSUM);
  EXPECT_TRUE(m->ol_flags & RTE_MBUF_F_TX_IPV4);
  EXPECT_FALSE(m->ol_flags & RTE_MBUF_F_TX_IPV6);
  EXPECT_EQ(m->l2_len, 14);
  EXPECT_EQ(m->l3_len, 20);
  EXPECT_EQ(m->l4_len, 32);
  EXPECT_EQ(m->tso_segsz, 1448);
}

TEST_F(VnetHeaderTest, TcpV4GsoRoundTripsUnchanged) {
  rte_mbuf* m = frame(false, true);
  const VnetHeader in = header(kVnetNeedsCsum, kVnetGsoTcpV4, 66, 1448, 34, 16);
  ASSERT_EQ(vnet_to_mbuf(in, m), VnetRx::kGso);
  VnetHeader out;
  mbuf_to_vnet(m, out);
  EXPECT_EQ(std::memcmp(&in, &out, sizeof(in)), 0);
}

TEST_F(VnetHeaderTest, TcpV6GsoRoundTrips) {
  rte_mbuf* m = frame(true, true);
  const VnetHeader in = header(kVnetNeedsCsum, kVnetGsoTcpV6, 86, 1428, 54, 16);
  ASSERT_EQ(vnet_to_mbuf(in, m), VnetRx::kGso);
  EXPECT_TRUE(m->ol_flags & RTE_MBUF_F_TX_IPV6);
  EXPECT_EQ(m->l3_len, 40);
  VnetHeader out;
  mbuf_to_vnet(m, out);
  EXPECT_EQ(std::memcmp(&in, &out, sizeof(in)), 0);
}

TEST_F(VnetHeaderTest, UdpL4GsoRoundTrips) {
  rte_mbuf* m = frame(false, false);
  const VnetHeader in = header(kVnetNeedsCsum, kVnetGsoUdpL4, 42, 1400, 34, 6);
  ASSERT_EQ(vnet_to_mbuf(in, m), VnetRx::kGso);
  EXPECT_TRUE(m->ol_flags & RTE_MBUF_F_TX_UDP_SEG);
  EXPECT_EQ(m->l4_len, 8);
  VnetHeader out;
  mbuf_to_vnet(m, out);
  EXPECT_EQ(std::memcmp(&in, &out, sizeof(in)), 0);
}

TEST_F(VnetHeaderTest, PendingTcpChecksumBecomesChecksumFlagOnly) {
  rte_mbuf* m = frame(false, true);
  ASSERT_EQ(vnet_to_mbuf(header(kVnetNeedsCsum, kVnetGsoNone, 0, 0, 34, 16), m), VnetRx::kCsum);
  EXPECT_FALSE(m->ol_flags & RTE_MBUF_F_TX_TCP_SEG);
  EXPECT_EQ(m->ol_flags & RTE_MBUF_F_TX_L4_MASK, RTE_MBUF_F_TX_TCP_CKSUM);
  VnetHeader out;
  mbuf_to_vnet(m, out);
  EXPECT_EQ(out.flags, kVnetNeedsCsum);
  EXPECT_EQ(out.gso_type, kVnetGsoNone);
  EXPECT_EQ(out.csum_start, 34);
  EXPECT_EQ(out.csum_offset, 16);
}

TEST_F(VnetHeaderTest, PendingUdpChecksumBecomesUdpFlag) {
  rte_mbuf* m = frame(true, false);
  ASSERT_EQ(vnet_to_mbuf(header(kVnetNeedsCsum, kVnetGsoNone, 0, 0, 54, 6), m), VnetRx::kCsum);
  EXPECT_EQ(m->ol_flags & RTE_MBUF_F_TX_L4_MASK, RTE_MBUF_F_TX_UDP_CKSUM);
  VnetHeader out;
  mbuf_to_vnet(m, out);
  EXPECT_EQ(out.csum_start, 54);
  EXPECT_EQ(out.csum_offset, 6);
}

TEST_F(VnetHeaderTest, PlainFramesCarryNoOffloads) {
  rte_mbuf* m = frame(false, false);
  ASSERT_EQ(vnet_to_mbuf(header(0, kVnetGsoNone, 0, 0, 0, 0), m), VnetRx::kPlain);
  VnetHeader out;
  mbuf_to_vnet(m, out);
  const VnetHeader zero{};
  EXPECT_EQ(std::memcmp(&zero, &out, sizeof(out)), 0);
}

TEST_F(VnetHeaderTest, TaggedFrameCountsTheTagInL2Len) {
  rte_mbuf* m = frame(false, true, /*tagged=*/true);
  ASSERT_EQ(vnet_to_mbuf(header(kVnetNeedsCsum, kVnetGsoTcpV4, 70, 1448, 38, 16), m), VnetRx::kGso);
  EXPECT_EQ(m->l2_len, 18);
  EXPECT_EQ(m->l3_len, 20);
}

TEST_F(VnetHeaderTest, TagPushedByTheSwitchMovesCsumStart) {
  rte_mbuf* m = frame(false, true);
  ASSERT_EQ(vnet_to_mbuf(header(kVnetNeedsCsum, kVnetGsoTcpV4, 66, 1448, 34, 16), m), VnetRx::kGso);
  m->l2_len += 4;  // what tag_rewrite does when it pushes an 802.1Q tag
  VnetHeader out;
  mbuf_to_vnet(m, out);
  EXPECT_EQ(out.csum_start, 38);
  EXPECT_EQ(out.hdr_len, 70);
}

TEST_F(VnetHeaderTest, EcnBitIsRebuiltFromCwr) {
  rte_mbuf* m = frame(false, true);
  ASSERT_EQ(vnet_to_mbuf(header(kVnetNeedsCsum, kVnetGsoTcpV4 | kVnetGsoEcn, 66, 1448, 34, 16), m),
            VnetRx::kGso);
  rte_pktmbuf_mtod_offset(m, uint8_t*, 34 + 13)[0] |= 0x80;  // CWR
  VnetHeader out;
  mbuf_to_vnet(m, out);
  EXPECT_EQ(out.gso_type, kVnetGsoTcpV4 | kVnetGsoEcn);
}

TEST_F(VnetHeaderTest, UnknownChecksumOffsetIsFinishedInSoftware) {
  // An IPv4 frame whose "L4" checksum sits 2 bytes in (ICMP-like), pending from byte 34.
  rte_mbuf* m = frame(false, false, false, 0, 60);
  uint8_t* p = rte_pktmbuf_mtod(m, uint8_t*);
  p[36] = p[37] = 0;
  ASSERT_EQ(vnet_to_mbuf(header(kVnetNeedsCsum, kVnetGsoNone, 0, 0, 34, 2), m), VnetRx::kPlain);
  EXPECT_EQ(m->ol_flags & RTE_MBUF_F_TX_L4_MASK, 0u);
  const uint16_t sum = rte_raw_cksum(p + 34, rte_pktmbuf_pkt_len(m) - 34);
  EXPECT_EQ(sum, 0xffff);  // a correct ones'-complement checksum sums to all ones
}

TEST_F(VnetHeaderTest, InconsistentHeadersAreInvalid) {
  EXPECT_EQ(vnet_to_mbuf(header(0, kVnetGsoTcpV4, 66, 1448, 34, 16), frame(false, true)),
            VnetRx::kInvalid);  // GSO without a pending checksum
  EXPECT_EQ(
      vnet_to_mbuf(header(kVnetNeedsCsum, kVnetGsoTcpV4, 66, 1448, 54, 16), frame(true, true)),
      VnetRx::kInvalid);  // TCPV4 on an IPv6 frame
  EXPECT_EQ(vnet_to_mbuf(header(kVnetNeedsCsum, kVnetGsoNone, 0, 0, 4000, 16), frame(false, true)),
            VnetRx::kInvalid);  // csum_start past the frame
  EXPECT_EQ(vnet_to_mbuf(header(kVnetNeedsCsum, kVnetGsoNone, 0, 0, 10, 16), frame(false, true)),
            VnetRx::kInvalid);  // csum_start inside the Ethernet header
  EXPECT_EQ(vnet_to_mbuf(header(kVnetNeedsCsum, kVnetGsoUdp, 42, 1400, 34, 6), frame(false, false)),
            VnetRx::kInvalid);  // legacy UFO
}

TEST_F(VnetHeaderTest, DataValidMarksL4ChecksumGood) {
  rte_mbuf* m = frame(false, true);
  ASSERT_EQ(vnet_to_mbuf(header(kVnetDataValid, kVnetGsoNone, 0, 0, 0, 0), m), VnetRx::kPlain);
  EXPECT_EQ(m->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK, RTE_MBUF_F_RX_L4_CKSUM_GOOD);
}

TEST_F(VnetHeaderTest, IpChecksumFlagIsFinishedInSoftware) {
  rte_mbuf* m = frame(false, true);
  m->ol_flags = RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IP_CKSUM;
  m->l2_len = 14;
  m->l3_len = 20;
  VnetHeader out;
  mbuf_to_vnet(m, out);
  EXPECT_EQ(out.flags, 0);
  EXPECT_EQ(rte_ipv4_cksum(rte_pktmbuf_mtod_offset(m, const rte_ipv4_hdr*, 14)), 0);
}

TEST_F(VnetHeaderTest, EthernetHeaderLenSkipsStackedTags) {
  rte_mbuf* m = frame(false, true, /*tagged=*/true);
  uint16_t type = 0;
  EXPECT_EQ(ethernet_header_len(m, type), 18);
  EXPECT_EQ(type, 0x0800);
}

}  // namespace
}  // namespace lvs::ports
