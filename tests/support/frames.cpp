#include "tests/support/frames.hpp"

#include <cstring>
#include <stdexcept>

#include "dpdk/mempool.hpp"

namespace lvs::test {

namespace {
constexpr size_t kIpv4HeaderLen = 20;
}  // namespace

std::vector<uint8_t> frame_bytes(const FrameSpec& s) {
  std::vector<uint8_t> b;
  auto dst = sw::MacAddr::parse(s.dst), src = sw::MacAddr::parse(s.src);
  if (!dst || !src) throw std::invalid_argument("bad MAC in FrameSpec");
  b.insert(b.end(), dst->bytes.begin(), dst->bytes.end());
  b.insert(b.end(), src->bytes.begin(), src->bytes.end());
  if (s.vid) {
    const uint16_t tci = static_cast<uint16_t>((s.pcp & 7) << 13 | (*s.vid & 0x0fff));
    b.push_back(0x81), b.push_back(0x00);
    b.push_back(static_cast<uint8_t>(tci >> 8)), b.push_back(static_cast<uint8_t>(tci));
  }
  b.push_back(static_cast<uint8_t>(s.ethertype >> 8)),
      b.push_back(static_cast<uint8_t>(s.ethertype));
  if (s.ethertype == 0x0800 && s.payload >= kIpv4HeaderLen) {
    // A well-formed IPv4 header (experimental protocol 253): the switch drops bad ones, as
    // docker0 does with br_netfilter.
    const uint16_t total = s.payload;
    uint8_t h[kIpv4HeaderLen] = {0x45,
                                 0,
                                 static_cast<uint8_t>(total >> 8),
                                 static_cast<uint8_t>(total),
                                 0,
                                 0,
                                 0x40,
                                 0,
                                 64,
                                 253,
                                 0,
                                 0,
                                 10,
                                 0,
                                 0,
                                 1,
                                 10,
                                 0,
                                 0,
                                 2};
    uint32_t sum = 0;
    for (size_t i = 0; i < kIpv4HeaderLen; i += 2)
      sum += static_cast<uint32_t>(h[i] << 8 | h[i + 1]);
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    h[10] = static_cast<uint8_t>(~sum >> 8), h[11] = static_cast<uint8_t>(~sum);
    b.insert(b.end(), h, h + kIpv4HeaderLen);
    b.insert(b.end(), s.payload - kIpv4HeaderLen, s.fill);
    return b;
  }
  b.insert(b.end(), s.payload, s.fill);
  return b;
}

rte_mbuf* make_raw(rte_mempool* pool, const std::vector<uint8_t>& bytes) {
  rte_mbuf* m = rte_pktmbuf_alloc(pool);
  if (m == nullptr) throw std::runtime_error("test pool empty");
  char* p = rte_pktmbuf_append(m, static_cast<uint16_t>(bytes.size()));
  if (p == nullptr) throw std::runtime_error("frame too large for one mbuf");
  if (!bytes.empty()) std::memcpy(p, bytes.data(), bytes.size());
  return m;
}

rte_mbuf* make_frame(rte_mempool* pool, const FrameSpec& spec) {
  return make_raw(pool, frame_bytes(spec));
}

std::vector<uint8_t> bytes_of(const rte_mbuf* m) {
  std::vector<uint8_t> out;
  for (const rte_mbuf* s = m; s; s = s->next) {
    const uint8_t* p = rte_pktmbuf_mtod(s, const uint8_t*);
    out.insert(out.end(), p, p + s->data_len);
  }
  return out;
}

Seen decode(const rte_mbuf* m, uint8_t fill) {
  const auto b = bytes_of(m);
  Seen s;
  s.length = b.size();
  if (b.size() < 14) return s;
  s.dst = sw::MacAddr::from_bytes(b.data()).to_string();
  s.src = sw::MacAddr::from_bytes(b.data() + 6).to_string();
  size_t off = 12;
  if (b[12] == 0x81 && b[13] == 0x00) {
    s.tagged = true;
    const uint16_t tci = static_cast<uint16_t>(b[14] << 8 | b[15]);
    s.vid = tci & 0x0fff;
    s.pcp = static_cast<uint8_t>(tci >> 13);
    off = 16;
  }
  s.ethertype = static_cast<uint16_t>(b[off] << 8 | b[off + 1]);
  size_t body = off + 2;
  if (s.ethertype == 0x0800 && b.size() >= body + kIpv4HeaderLen && b[body] == 0x45)
    body += kIpv4HeaderLen;
  for (size_t i = body; i < b.size(); ++i) s.payload_intact &= b[i] == fill;
  return s;
}

rte_mempool* test_pool() {
  static rte_mempool* pool =
      dpdk::create_pool({.name = "lvs_test_pool", .mbufs = 8191, .cache = 0});
  if (pool == nullptr) throw std::runtime_error("cannot create test mempool");
  return pool;
}

}  // namespace lvs::test
