// BIG TCP super-frames cut into 64 KiB GSO frames (ports/gso_split.*), on crafted frames laid
// out as an AF_PACKET port receives them: a head mbuf and 64 KiB tails.
#include "ports/gso_split.hpp"

#include <gtest/gtest.h>
#include <rte_ip.h>

#include <cstring>
#include <vector>

#include "dpdk/eal.hpp"
#include "dpdk/mempool.hpp"
#include "ports/kernel_frame.hpp"
#include "ports/large_rx_pool.hpp"

namespace lvs::ports {
namespace {

uint16_t be16(const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }
uint32_t be32(const uint8_t* p) { return uint32_t{be16(p)} << 16 | be16(p + 2); }

class GsoSplitTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dpdk::EalOptions o;
    o.program = "gso-split-test";
    o.huge = dpdk::EalOptions::Huge::kOff;
    o.no_huge_memory_mb = 256;
    o.log_level = "*:error";
    ASSERT_TRUE(dpdk::init_eal(o).ok) << dpdk::init_eal(o).error;
    if (pool_ == nullptr) pool_ = dpdk::create_pool({.name = "split_test", .mbufs = 1023, .cache = 0});
    if (large_ == nullptr) large_ = make_large_frame_pool("split_large", 64, "the test");
    ASSERT_NE(pool_, nullptr);
    ASSERT_NE(large_, nullptr);
  }

  // A frame of `bytes` (Ethernet + optional tag + IPv4/IPv6 + TCP with 12 option bytes +
  // payload counting 0, 1, 2, ...) in a 2 KiB head and 64 KiB tails, with the flags
  // vnet_to_mbuf sets for a GSO TCP frame. IPv4 total length 0, IPv6 payload length 0, as BIG
  // TCP sends them; `hbh`: with the hop-by-hop jumbo header Linux 6.18 puts after IPv6's.
  rte_mbuf* big_frame(uint32_t bytes, bool v6, bool tagged, uint8_t tcp_flags = 0x18 | 0x80,
                      bool hbh = false) {
    std::vector<uint8_t> f = {0x02, 0, 0, 0, 0, 2, 0x02, 0, 0, 0, 0, 1};
    if (tagged) f.insert(f.end(), {0x81, 0x00, 0x00, 0x0a});
    if (v6) {
      f.insert(f.end(), {0x86, 0xdd, 0x60, 0, 0, 0, 0, 0, static_cast<uint8_t>(hbh ? 0 : 6), 64});
      for (int i = 0; i < 32; ++i) f.push_back(static_cast<uint8_t>(i));
      const uint32_t jumbo = bytes - (tagged ? 18 : 14) - 40;
      if (hbh)
        f.insert(f.end(), {6, 0, 0xc2, 4, static_cast<uint8_t>(jumbo >> 24),
                           static_cast<uint8_t>(jumbo >> 16), static_cast<uint8_t>(jumbo >> 8),
                           static_cast<uint8_t>(jumbo)});
    } else {
      f.insert(f.end(), {0x08, 0x00, 0x45, 0, 0, 0, 0x12, 0x34, 0x40, 0, 64, 6, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2});
    }
    l2_ = tagged ? 18 : 14;
    l3_ = v6 ? (hbh ? 48 : 40) : 20;
    out_l3_ = v6 ? 40 : 20;
    f.insert(f.end(), {0x30, 0x39, 0x14, 0x51, 0xff, 0xff, 0xff, 0x00, 0, 0, 0, 1, 0x80, tcp_flags, 0xff, 0xff, 0, 0, 0, 0});
    f.insert(f.end(), 12, 0x01);
    hl_ = static_cast<uint32_t>(f.size());
    out_hl_ = hl_ - (l3_ - out_l3_);
    for (uint32_t i = 0; f.size() < bytes; ++i) f.push_back(static_cast<uint8_t>(i * 7));
    bytes_ = f;
    rte_mbuf* head = rte_pktmbuf_alloc(pool_);
    const uint32_t first = std::min<uint32_t>(rte_pktmbuf_tailroom(head), bytes);
    std::memcpy(rte_pktmbuf_append(head, static_cast<uint16_t>(first)), f.data(), first);
    for (uint32_t off = first; off < bytes;) {
      rte_mbuf* t = rte_pktmbuf_alloc(large_);
      t->data_off = 0;
      const uint32_t take = std::min<uint32_t>(t->buf_len, bytes - off);
      std::memcpy(rte_pktmbuf_append(t, static_cast<uint16_t>(take)), f.data() + off, take);
      EXPECT_EQ(rte_pktmbuf_chain(head, t), 0);
      off += take;
    }
    head->ol_flags = RTE_MBUF_F_TX_TCP_SEG | RTE_MBUF_F_TX_TCP_CKSUM | (v6 ? RTE_MBUF_F_TX_IPV6 : RTE_MBUF_F_TX_IPV4);
    head->l2_len = l2_;
    head->l3_len = l3_;
    head->l4_len = 32;
    head->tso_segsz = 1448;
    return head;
  }

  // Every piece: within the kernel frame bound, its headers as the kernel's GSO writes them
  // (IPv6: no jumbo header), its payload the next bytes of the original; together, all of it.
  void check_pieces(rte_mbuf** out, unsigned n, bool v6, uint8_t flags) {
    uint32_t at = hl_;
    std::vector<uint8_t> buf(kMaxKernelFrame + 64);
    for (unsigned i = 0; i < n; ++i) {
      rte_mbuf* p = out[i];
      ASSERT_LE(p->pkt_len, kMaxKernelFrame);
      const uint32_t len = p->pkt_len - out_hl_;
      if (i + 1 < n) {
        EXPECT_EQ(len % 1448, 0u) << "piece " << i << " is not whole segments";
      }
      const auto* d = static_cast<const uint8_t*>(rte_pktmbuf_read(p, 0, p->pkt_len, buf.data()));
      ASSERT_NE(d, nullptr);
      EXPECT_EQ(std::memcmp(d, bytes_.data(), l2_), 0);
      const uint8_t* ip = d + l2_;
      const uint8_t* tcp = ip + out_l3_;
      if (v6) {
        EXPECT_EQ(be16(ip + 4), 32 + len);
        EXPECT_EQ(ip[6], 6) << "next header of piece " << i << ": TCP";
        EXPECT_EQ(std::memcmp(ip + 7, bytes_.data() + l2_ + 7, 33), 0) << "hop limit, addresses";
      } else {
        EXPECT_EQ(be16(ip + 2), 20 + 32 + len);
        EXPECT_EQ(be16(ip + 4), static_cast<uint16_t>(0x1234 + (at - hl_) / 1448));
        EXPECT_EQ(rte_raw_cksum(ip, 20), 0xffff) << "IPv4 header checksum of piece " << i;
      }
      EXPECT_EQ(be32(tcp + 4), 0xffffff00u + (at - hl_)) << "seq of piece " << i;  // wraps
      uint8_t want = flags;
      if (i + 1 < n) want &= static_cast<uint8_t>(~0x09);
      if (i > 0) want &= static_cast<uint8_t>(~0x80);
      EXPECT_EQ(tcp[13], want) << "flags of piece " << i;
      // The checksum field: the pseudo-header sum for this piece's TCP length.
      uint8_t ph[40] = {};
      uint32_t sum;
      const uint32_t l4_len = 32 + len;
      if (v6) {
        std::memcpy(ph, ip + 8, 32);
        ph[34] = static_cast<uint8_t>(l4_len >> 8);
        ph[35] = static_cast<uint8_t>(l4_len);
        ph[39] = 6;
        sum = rte_raw_cksum(ph, 40);
      } else {
        std::memcpy(ph, ip + 12, 8);
        ph[9] = 6;
        ph[10] = static_cast<uint8_t>(l4_len >> 8);
        ph[11] = static_cast<uint8_t>(l4_len);
        sum = rte_raw_cksum(ph, 12);
      }
      uint16_t field;
      std::memcpy(&field, tcp + 16, 2);
      EXPECT_EQ(field, static_cast<uint16_t>(sum)) << "pseudo-header sum of piece " << i;
      EXPECT_EQ(std::memcmp(tcp + 20, bytes_.data() + l2_ + l3_ + 20, 12), 0);
      EXPECT_EQ(std::memcmp(d + out_hl_, bytes_.data() + at, len), 0) << "payload of piece " << i;
      EXPECT_EQ(p->l2_len, l2_);
      EXPECT_EQ(p->l3_len, out_l3_);
      EXPECT_TRUE(p->ol_flags & RTE_MBUF_F_TX_TCP_CKSUM);
      at += len;
    }
    EXPECT_EQ(at, bytes_.size());
  }

  static inline rte_mempool* pool_ = nullptr;
  static inline rte_mempool* large_ = nullptr;
  std::vector<uint8_t> bytes_;
  uint32_t l2_ = 14, l3_ = 20, hl_ = 0, out_l3_ = 20, out_hl_ = 0;
};

TEST_F(GsoSplitTest, Ipv4BigTcpFrameBecomesWholeSegmentPieces) {
  const unsigned free_before = rte_mempool_avail_count(large_);
  rte_mbuf* m = big_frame(196608 + 14, false, false);
  rte_mbuf* out[8];
  const unsigned n = split_big_gso(m, pool_, out, 8);
  ASSERT_EQ(n, 4u);  // 45 segments of 1448 per piece: 65160 bytes; 196542 of payload
  check_pieces(out, n, false, 0x18 | 0x80);
  rte_pktmbuf_free_bulk(out, n);
  EXPECT_EQ(rte_mempool_avail_count(large_), free_before) << "the tails go back with the last piece";
}

TEST_F(GsoSplitTest, TaggedIpv6FrameAndFinOnLastPieceOnly) {
  rte_mbuf* m = big_frame(150000, true, true, 0x19);
  rte_mbuf* out[8];
  const unsigned n = split_big_gso(m, pool_, out, 8);
  ASSERT_EQ(n, 3u);
  check_pieces(out, n, true, 0x19);
  rte_pktmbuf_free_bulk(out, n);
}

TEST_F(GsoSplitTest, Ipv6JumboHeaderDroppedFromEveryPiece) {
  const unsigned free_before = rte_mempool_avail_count(large_);
  rte_mbuf* m = big_frame(196608 + 14 + 8, true, false, 0x18 | 0x80, true);
  rte_mbuf* out[8];
  const unsigned n = split_big_gso(m, pool_, out, 8);
  ASSERT_EQ(n, 4u);
  check_pieces(out, n, true, 0x18 | 0x80);
  rte_pktmbuf_free_bulk(out, n);
  EXPECT_EQ(rte_mempool_avail_count(large_), free_before);
}

TEST_F(GsoSplitTest, TaggedIpv6JumboFrame) {
  rte_mbuf* m = big_frame(131166 + 4, true, true, 0x19, true);
  rte_mbuf* out[8];
  const unsigned n = split_big_gso(m, pool_, out, 8);
  ASSERT_EQ(n, 3u);
  check_pieces(out, n, true, 0x19);
  rte_pktmbuf_free_bulk(out, n);
}

// IPv6 frames over 64 KiB that are neither form BIG TCP takes: the port drops (and counts) them.
TEST_F(GsoSplitTest, RefusesIpv6FramesThatAreNoBigTcp) {
  rte_mbuf* out[8];
  struct Bad {
    const char* what;
    bool hbh;
    uint32_t at;  // byte from the IPv6 header
    uint8_t value;
  };
  for (const Bad& b : {Bad{"another option than jumbo", true, 42, 0xc3},
                       Bad{"a jumbo length that lies", true, 47, 0x01},
                       Bad{"a hop-by-hop header longer than the jumbo option", true, 41, 1},
                       Bad{"the jumbo header before something other than TCP", true, 40, 17},
                       Bad{"a payload length on a frame over 64 KiB", true, 5, 0x10},
                       Bad{"a routing header, not hop-by-hop", true, 6, 43},
                       Bad{"a payload length without jumbo header", false, 4, 0xff}}) {
    rte_mbuf* m = big_frame(150000, true, false, 0x18, b.hbh);
    rte_pktmbuf_mtod(m, uint8_t*)[14 + b.at] = b.value;
    EXPECT_EQ(split_big_gso(m, pool_, out, 8), 0u) << b.what;
    EXPECT_EQ(m->pkt_len, 150000u) << b.what;
    rte_pktmbuf_free(m);
  }
  rte_mbuf* m = big_frame(150000, true, false, 0x18, false);
  m->l3_len = 48;  // straight TCP, but the kernel said the headers are longer
  EXPECT_EQ(split_big_gso(m, pool_, out, 8), 0u) << "an IPv6 header length that lies";
  rte_pktmbuf_free(m);
}

TEST_F(GsoSplitTest, RefusesWhatItCannotCutAndLeavesTheFrame) {
  rte_mbuf* out[8];
  rte_mbuf* m = big_frame(196608, false, false);
  EXPECT_EQ(split_big_gso(m, pool_, out, 2), 0u) << "more pieces than room";
  m->tso_segsz = 0;
  EXPECT_EQ(split_big_gso(m, pool_, out, 8), 0u) << "no segment size";
  m->tso_segsz = 1448;
  m->ol_flags &= ~RTE_MBUF_F_TX_TCP_SEG;
  EXPECT_EQ(split_big_gso(m, pool_, out, 8), 0u) << "not a GSO frame";
  m->ol_flags |= RTE_MBUF_F_TX_TCP_SEG | RTE_MBUF_F_TX_IPV6;
  EXPECT_EQ(split_big_gso(m, pool_, out, 8), 0u) << "both families";
  EXPECT_EQ(m->pkt_len, 196608u);
  rte_pktmbuf_free(m);
}

}  // namespace
}  // namespace lvs::ports
