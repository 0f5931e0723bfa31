// Inner frames with TSO / checksum metadata are finished before encapsulation; the flow hash
// picks the outer UDP source port; (remote, VNI) demultiplexing over a loopback endpoint.
#include "tunnels/inner_gso.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <rte_ip.h>
#include <unistd.h>

#include <vector>

#include "switch/rx_stage.hpp"
#include "tests/support/capabilities.hpp"
#include "tests/support/frames.hpp"
#include "tests/support/wait_until.hpp"
#include "tunnels/inner_frame.hpp"
#include "tunnels/kernel_underlay.hpp"
#include "tunnels/mbuf_cursor.hpp"
#include "tunnels/tunnel_encap.hpp"
#include "tunnels/tunnel_port.hpp"
#include "tunnels/vxlan_header.hpp"

namespace lvs::tunnels {
namespace {

// Ethernet + IPv4 + TCP (20-byte header) + `payload` bytes, checksums as a kernel hands them
// over with CHECKSUM_PARTIAL: TCP field = pseudo-header sum only.
std::vector<uint8_t> tcp_frame(uint32_t payload, uint8_t tcp_flags = 0x18, uint16_t sport = 1234) {
  std::vector<uint8_t> f(14 + 20 + 20 + payload);
  const uint8_t eth[14] = {2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00};
  std::memcpy(f.data(), eth, 14);
  uint8_t* ip = &f[14];
  ip[0] = 0x45;
  ip[2] = static_cast<uint8_t>((20 + 20 + payload) >> 8);
  ip[3] = static_cast<uint8_t>(20 + 20 + payload);
  ip[4] = 0x12;
  ip[5] = 0x34;
  ip[6] = 0x40;  // DF
  ip[8] = 64;
  ip[9] = 6;
  const uint8_t addrs[8] = {10, 0, 0, 1, 10, 0, 0, 2};
  std::memcpy(ip + 12, addrs, 8);
  uint8_t* tcp = ip + 20;
  tcp[0] = static_cast<uint8_t>(sport >> 8);
  tcp[1] = static_cast<uint8_t>(sport);
  tcp[3] = 80;
  tcp[4] = 0x10;  // seq 0x10000000
  tcp[12] = 0x50;
  tcp[13] = tcp_flags;
  for (uint32_t i = 0; i < payload; ++i) f[54 + i] = static_cast<uint8_t>(i * 7);
  return f;
}

// A chain of mbufs of at most `seg` bytes each (large frames; pieces then span segments).
rte_mbuf* make_chain(const std::vector<uint8_t>& bytes, uint32_t seg = 1000) {
  rte_mbuf* head = nullptr;
  for (size_t off = 0; off < bytes.size(); off += seg) {
    const size_t n = std::min<size_t>(seg, bytes.size() - off);
    rte_mbuf* m = rte_pktmbuf_alloc(test::test_pool());
    std::memcpy(rte_pktmbuf_append(m, static_cast<uint16_t>(n)), &bytes[off], n);
    if (head == nullptr)
      head = m;
    else
      rte_pktmbuf_chain(head, m);
  }
  return head;
}

rte_mbuf* offloaded(const std::vector<uint8_t>& bytes, bool tso, uint16_t mss) {
  rte_mbuf* m = make_chain(bytes);
  m->l2_len = 14;
  m->l3_len = 20;
  m->l4_len = 20;
  m->ol_flags = RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_TCP_CKSUM | (tso ? RTE_MBUF_F_TX_TCP_SEG : 0);
  m->tso_segsz = mss;
  return m;
}

struct Piece {
  std::vector<uint8_t> bytes;
};

std::vector<Piece> segment(rte_mbuf* m, GsoResult* result = nullptr) {
  std::vector<Piece> out;
  const GsoResult r = for_each_inner_segment(m, [&](const InnerSegment& s) {
    Piece p;
    if (s.hdr) p.bytes.assign(s.hdr, s.hdr + s.hdr_len);
    const auto all = test::bytes_of(m);
    p.bytes.insert(p.bytes.end(), all.begin() + s.off, all.begin() + s.off + s.len);
    out.push_back(p);
  });
  if (result) *result = r;
  return out;
}

bool checksums_valid(const std::vector<uint8_t>& f) {
  const auto* ip = reinterpret_cast<const rte_ipv4_hdr*>(&f[14]);
  if (rte_ipv4_cksum(ip) != 0 && rte_raw_cksum(ip, 20) != 0xffff) return false;
  // TCP: the ones' complement sum over pseudo-header + segment is 0xffff when the field is right.
  const uint32_t l4_len = static_cast<uint32_t>(f.size() - 34);
  uint8_t ph[12] = {};
  std::memcpy(ph, &f[26], 8);
  ph[9] = 6;
  ph[10] = static_cast<uint8_t>(l4_len >> 8);
  ph[11] = static_cast<uint8_t>(l4_len);
  return csum_fold32(rte_raw_cksum(ph, 12) + rte_raw_cksum(&f[34], l4_len)) == 0xffff;
}

TEST(InnerGso, TsoFrameIsCutIntoMssPiecesWithValidHeaders) {
  rte_mbuf* m = offloaded(tcp_frame(4000, 0x19 /* FIN PSH ACK */), true, 1448);
  const auto pieces = segment(m);
  ASSERT_EQ(pieces.size(), 3u);
  const uint32_t sizes[3] = {1448, 1448, 1104};
  for (size_t i = 0; i < 3; ++i) {
    const auto& f = pieces[i].bytes;
    ASSERT_EQ(f.size(), 54 + sizes[i]) << i;
    EXPECT_EQ(f[16] << 8 | f[17], static_cast<int>(40 + sizes[i]));  // IPv4 total length
    EXPECT_EQ(f[18] << 8 | f[19], static_cast<int>(0x1234 + i));     // id
    uint32_t seq;
    std::memcpy(&seq, &f[38], 4);
    EXPECT_EQ(ntohl(seq), 0x10000000u + 1448u * i);
    EXPECT_EQ(f[47] & 0x09, i == 2 ? 0x09 : 0x00) << "FIN/PSH on the last piece only";
    EXPECT_TRUE(checksums_valid(f)) << i;
    EXPECT_EQ(f[54], static_cast<uint8_t>(1448 * i * 7));  // payload continues where it left off
  }
  rte_pktmbuf_free(m);
}

// MbufCursor: sums of consecutive ranges across odd-sized segments (odd starts swap the bytes'
// roles) equal rte_raw_cksum of the same bytes laid out flat, and the cursor ends where they do.
TEST(MbufCursor, SumsAcrossOddSegmentsMatchTheFlatBytes) {
  std::vector<uint8_t> bytes(5000);
  for (size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<uint8_t>(i * 131 + (i >> 7));
  for (uint32_t seg : {1u, 7u, 97u, 1000u}) {
    if (seg == 1) bytes.resize(300);  // a 1-byte-per-mbuf chain: keep it short
    rte_mbuf* m = make_chain(bytes, seg);
    MbufCursor c = MbufCursor::at(m, 3);
    uint32_t at = 3;
    for (uint32_t len : {1u, 2u, 13u, 100u, 1397u, 1u, 1448u}) {
      if (at + len > bytes.size()) break;
      uint16_t got = 0;
      ASSERT_TRUE(c.sum(len, got)) << seg << " " << at;
      EXPECT_EQ(got, rte_raw_cksum(&bytes[at], len))
          << "seg " << seg << " at " << at << " len " << len;
      at += len;
      const MbufCursor fresh = MbufCursor::at(m, at);
      MbufCursor settled = c;
      settled.settle();
      EXPECT_EQ(settled.seg, fresh.seg);
      EXPECT_EQ(settled.off, fresh.off);
    }
    uint16_t none = 0;
    EXPECT_FALSE(MbufCursor::at(m, 0).sum(static_cast<uint32_t>(bytes.size()) + 1, none));
    rte_pktmbuf_free(m);
  }
}

// A TSO frame in odd-sized segments (97 bytes) with an odd MSS: the same pieces as from 1000-byte
// segments, valid checksums, and each piece's iovec (TunnelEncap::build from the segmenter's
// cursor) carries exactly the piece's payload bytes.
TEST(InnerGso, OddSegmentsGiveTheSamePiecesAndIovecs) {
  const auto frame = tcp_frame(9000, 0x18);
  rte_mbuf* a = offloaded(frame, true, 1397);
  rte_mbuf* b = make_chain(frame, 97);
  b->l2_len = 14;
  b->l3_len = 20;
  b->l4_len = 20;
  b->ol_flags = a->ol_flags;
  b->tso_segsz = 1397;
  const auto pa = segment(a);
  const auto pb = segment(b);
  ASSERT_EQ(pa.size(), 7u);
  ASSERT_EQ(pb.size(), pa.size());
  for (size_t i = 0; i < pa.size(); ++i) {
    EXPECT_EQ(pb[i].bytes, pa[i].bytes) << i;
    EXPECT_TRUE(checksums_valid(pb[i].bytes)) << i;
  }
  TunnelConfig c;
  c.kind = TunnelKind::kVxlan;
  c.remote_ip = htonl(0x0a000002);
  TunnelEncap encap(c);
  size_t i = 0;
  for_each_inner_segment(b, [&](const InnerSegment& s) {
    uint8_t hdr[TunnelEncap::kHeaderRoom];
    iovec iov[TunnelEncap::kMaxIov];
    const unsigned n = encap.build(b, s, 4789, hdr, iov);
    ASSERT_GT(n, 1u);
    std::vector<uint8_t> got;
    const auto* h0 = static_cast<const uint8_t*>(iov[0].iov_base);
    got.assign(h0 + encap.header_len(), h0 + iov[0].iov_len);
    for (unsigned k = 1; k < n; ++k) {
      const auto* p = static_cast<const uint8_t*>(iov[k].iov_base);
      got.insert(got.end(), p, p + iov[k].iov_len);
    }
    ASSERT_LT(i, pa.size());
    EXPECT_EQ(got, pa[i].bytes) << "piece " << i;
    ++i;
  });
  EXPECT_EQ(i, pa.size());
  rte_pktmbuf_free(a);
  rte_pktmbuf_free(b);
}

TEST(InnerGso, ChecksumOnlyFrameGetsItsTcpChecksumAndStaysWhole) {
  const auto bytes = tcp_frame(100);
  rte_mbuf* m = offloaded(bytes, false, 0);
  const auto pieces = segment(m);
  ASSERT_EQ(pieces.size(), 1u);
  EXPECT_EQ(pieces[0].bytes.size(), bytes.size());
  EXPECT_TRUE(checksums_valid(pieces[0].bytes));
  EXPECT_EQ(test::bytes_of(m), bytes) << "the frame itself is never written";
  rte_pktmbuf_free(m);
}

TEST(InnerGso, FramesWithoutMetadataPassAsTheyAre) {
  rte_mbuf* m = test::make_frame(test::test_pool(), {});
  const auto pieces = segment(m);
  ASSERT_EQ(pieces.size(), 1u);
  EXPECT_EQ(pieces[0].bytes, test::bytes_of(m));
  rte_pktmbuf_free(m);
}

TEST(InnerGso, InconsistentMetadataIsMalformed) {
  rte_mbuf* m = offloaded(tcp_frame(10), true, 0);  // TSO without a segment size
  GsoResult r;
  segment(m, &r);
  EXPECT_EQ(r, GsoResult::kMalformed);
  rte_pktmbuf_free(m);
  m = offloaded(tcp_frame(10), false, 0);
  m->l3_len = 200;  // headers longer than the frame
  segment(m, &r);
  EXPECT_EQ(r, GsoResult::kMalformed);
  rte_pktmbuf_free(m);
}

TEST(InnerGso, GsoPiecesFitTheUnderlayAfterEncapsulation) {
  // A 1450-byte inner MTU (mss 1398) over a 1500-byte underlay: every VXLAN packet fits.
  rte_mbuf* m = offloaded(tcp_frame(60000), true, 1398);
  const auto pieces = segment(m);
  EXPECT_EQ(pieces.size(), (60000u + 1397) / 1398);
  for (const auto& p : pieces) EXPECT_LE(p.bytes.size() + kVxlanOverhead, 1500u + 14u);
  rte_pktmbuf_free(m);
}

TEST(FlowHash, SourcePortFollowsTheInnerFlowAndStaysInTheEphemeralRange) {
  rte_mbuf* a = make_chain(tcp_frame(10, 0x10, 1000), 20);  // headers split across segments
  rte_mbuf* a2 = test::make_raw(test::test_pool(), tcp_frame(50, 0x18, 1000));
  rte_mbuf* b = test::make_raw(test::test_pool(), tcp_frame(10, 0x10, 1001));
  const uint16_t pa = flow_source_port(inspect_inner(a).hash);
  EXPECT_EQ(pa, flow_source_port(inspect_inner(a2).hash));
  EXPECT_NE(inspect_inner(a).hash, inspect_inner(b).hash);
  EXPECT_GE(pa, 32768);
  EXPECT_LT(pa, 61000);
  EXPECT_EQ(inspect_inner(a).ttl, 64);
  for (rte_mbuf* m : {a, a2, b}) rte_pktmbuf_free(m);
}

// Loopback VXLAN endpoint: packets reach the port registered for their (remote, VNI); unknown
// VNIs and malformed headers are counted. Raw sockets need CAP_NET_RAW: skipped (and shown as
// skipped by ctest and scripts/test.sh) only when the process lacks it, as a non-root user does.
TEST(Demux, VniSelectsThePortUnknownAndMalformedAreCounted) {
  if (!test::has_effective_capability(CAP_NET_RAW))
    GTEST_SKIP() << "needs CAP_NET_RAW for the endpoint's raw socket (run as root)";
  const uint16_t port_no = static_cast<uint16_t>(40000 + getpid() % 20000);
  auto options = [&](const char* key) {
    return std::map<std::string, std::string>{{"remote_ip", "127.0.0.1"},
                                              {"local_ip", "127.0.0.1"},
                                              {"key", key},
                                              {"dst_port", std::to_string(port_no)}};
  };
  TunnelConfig c5, c6;
  ASSERT_EQ(parse_tunnel_options(TunnelKind::kVxlan, options("5"), c5), std::nullopt);
  ASSERT_EQ(parse_tunnel_options(TunnelKind::kVxlan, options("6"), c6), std::nullopt);
  std::string error;
  auto p5 = TunnelPort::open("vx5", c5, test::test_pool(), error);
  ASSERT_TRUE(p5) << error;
  auto p6 = TunnelPort::open("vx6", c6, test::test_pool(), error);
  ASSERT_TRUE(p6) << error;
  auto endpoint_of = [](const TunnelPort& p) {
    return dynamic_cast<const KernelUnderlay&>(p.underlay()).endpoint();
  };
  EXPECT_EQ(endpoint_of(*p5), endpoint_of(*p6)) << "one socket per (local_ip, dst_port)";
  EXPECT_FALSE(TunnelPort::open("dup", c6, test::test_pool(), error));

  const int fd = socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(port_no);
  to.sin_addr.s_addr = inet_addr("127.0.0.1");
  auto send_vni = [&](uint32_t vni, uint8_t flags = kVxlanFlagVni) {
    std::vector<uint8_t> pkt(8);
    write_vxlan_header(pkt.data(), vni);
    pkt[0] = flags;
    const auto inner = test::frame_bytes({});
    pkt.insert(pkt.end(), inner.begin(), inner.end());
    sendto(fd, pkt.data(), pkt.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof(to));
  };
  send_vni(5);
  send_vni(6);
  send_vni(6);
  send_vni(9);        // no port
  send_vni(5, 0x0c);  // unknown flag
  close(fd);
  // The endpoint is a PMD stage of its own (switch/rx_stage.hpp): poll it as the PMD does, then
  // the ports' queues it fills, until it has seen all five datagrams.
  const auto stage = p5->rx_stage();
  ASSERT_TRUE(stage);
  EXPECT_EQ(stage, p6->rx_stage()) << "one stage per endpoint";
  rte_mbuf* got[32];
  uint16_t n5 = 0, n6 = 0;
  auto poll_both = [&] {
    stage->poll(0);
    uint16_t k = p5->rx_burst(0, got, 32);
    n5 += k;
    rte_pktmbuf_free_bulk(got, k);
    k = p6->rx_burst(0, got, 32);
    n6 += k;
    rte_pktmbuf_free_bulk(got, k);
    return endpoint_of(*p5)->receiver()->counters().rx_packets >= 5;
  };
  EXPECT_TRUE(test::wait_until(poll_both, std::chrono::seconds(10)));
  poll_both();  // nothing more may come
  EXPECT_EQ(n5, 1);
  EXPECT_EQ(n6, 2);
  const auto ec = endpoint_of(*p5)->receiver()->counters();
  EXPECT_EQ(ec.rx_packets, 5u);
  EXPECT_EQ(ec.no_tunnel, 1u);
  EXPECT_EQ(ec.malformed, 1u);
  const auto s5 = p5->stats().read();  // first port with that remote counts them too
  EXPECT_EQ(s5.drops[static_cast<size_t>(sw::DropReason::kNoTunnel)] +
                p6->stats().read().drops[static_cast<size_t>(sw::DropReason::kNoTunnel)],
            1u);
}

}  // namespace
}  // namespace lvs::tunnels
