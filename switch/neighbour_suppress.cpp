#include "switch/neighbour_suppress.hpp"

#include <cstring>

namespace lvs::sw {
namespace {

constexpr uint16_t kArpLen = 28;
constexpr uint16_t kIpv6HeaderLen = 40;
constexpr uint8_t kIcmpv6 = 58;
constexpr uint8_t kNeighbourSolicitation = 135;
constexpr uint8_t kNeighbourAdvertisement = 136;
constexpr uint16_t kNsLen = 24;  // type, code, checksum, reserved, target
constexpr uint16_t kNaLen = 32;  // the same, then a target link-layer address option
constexpr uint8_t kNaSolicitedOverride = 0x60;
constexpr uint8_t kOptionTargetLinkLayer = 2;

uint16_t l2_len(const FrameMeta& f) {
  return f.tagged ? kEthHeaderLen + kVlanTagLen : kEthHeaderLen;
}

void store_mac(uint8_t* p, uint64_t mac) {
  for (int i = 5; i >= 0; --i, mac >>= 8) p[i] = static_cast<uint8_t>(mac);
}

bool all_zero(const uint8_t* p, size_t n) {
  for (size_t i = 0; i < n; ++i)
    if (p[i]) return false;
  return true;
}

NeighbourMatch match_arp(const uint8_t* a, uint16_t avail, uint16_t vid, const NeighbourTable& t) {
  if (avail < kArpLen) return {};
  // Ethernet, IPv4, 6- and 4-byte addresses, request.
  if (load_be16(a) != 1 || load_be16(a + 2) != kEtherTypeIpv4 || a[4] != 6 || a[5] != 4 ||
      load_be16(a + 6) != 1)
    return {};
  const uint8_t* spa = a + 14;
  const uint8_t* tpa = a + 24;
  if (all_zero(spa, 4) || std::memcmp(spa, tpa, 4) == 0) return {};  // probe, gratuitous
  const uint64_t mac = t.find_v4(vid, tpa);
  return mac ? NeighbourMatch{NeighbourKind::kArp, mac} : NeighbourMatch{};
}

NeighbourMatch match_ns(const uint8_t* ip6, uint16_t avail, uint16_t vid, const NeighbourTable& t) {
  if (avail < kIpv6HeaderLen + kNsLen || (ip6[0] >> 4) != 6) return {};
  const uint16_t plen = load_be16(ip6 + 4);
  if (ip6[6] != kIcmpv6 || ip6[7] != 255 || plen < kNsLen || plen > avail - kIpv6HeaderLen)
    return {};
  const uint8_t* icmp = ip6 + kIpv6HeaderLen;
  if (icmp[0] != kNeighbourSolicitation || icmp[1] != 0) return {};
  if (all_zero(ip6 + 8, 16)) return {};  // duplicate address detection
  const uint8_t* target = icmp + 8;
  if (target[0] == 0xff) return {};
  const uint64_t mac = t.find_v6(vid, target);
  if (mac == 0 || icmpv6_checksum(ip6, plen) != 0) return {};  // a valid one sums to zero
  return {NeighbourKind::kNd, mac};
}

}  // namespace

uint16_t icmpv6_checksum(const uint8_t* ip6, uint16_t len) {
  uint32_t sum = 0;
  for (int i = 8; i < 40; i += 2) sum += load_be16(ip6 + i);  // source and destination
  sum += len;
  sum += ip6[6];  // next header
  const uint8_t* p = ip6 + kIpv6HeaderLen;
  for (uint16_t i = 0; i + 1 < len; i += 2) sum += load_be16(p + i);
  if (len & 1) sum += uint32_t{p[len - 1]} << 8;
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(~sum);
}

NeighbourMatch match_neighbour_request(const rte_mbuf* m, const FrameMeta& f, uint16_t vid,
                                       const NeighbourTable& table) {
  const uint8_t* p = rte_pktmbuf_mtod(m, const uint8_t*);
  const uint16_t l2 = l2_len(f);
  if (m->data_len < l2) return {};
  const uint16_t type = load_be16(p + l2 - 2);
  const auto avail = static_cast<uint16_t>(m->data_len - l2);
  if (type == kEtherTypeArp) return match_arp(p + l2, avail, vid, table);
  if (type == kEtherTypeIpv6) return match_ns(p + l2, avail, vid, table);
  return {};
}

uint16_t build_neighbour_reply(const rte_mbuf* m, const FrameMeta& f, const NeighbourMatch& match,
                               uint8_t* out) {
  const uint8_t* req = rte_pktmbuf_mtod(m, const uint8_t*);
  const uint16_t l2 = l2_len(f);
  store_mac(out, f.src);          // to the asker
  store_mac(out + 6, match.mac);  // from the station the table names
  if (f.tagged) {
    store_be16(out + 12, kTpid8021Q);
    store_be16(out + 14, f.tci);
  }
  const uint8_t* q = req + l2;
  uint8_t* r = out + l2;
  if (match.kind == NeighbourKind::kArp) {
    store_be16(out + l2 - 2, kEtherTypeArp);
    std::memcpy(r, q, 6);  // hardware and protocol types and sizes
    store_be16(r + 6, 2);  // reply
    store_mac(r + 8, match.mac);
    std::memcpy(r + 14, q + 24, 4);  // the address asked for
    std::memcpy(r + 18, q + 8, 10);  // the asker's hardware and protocol addresses
    return static_cast<uint16_t>(l2 + kArpLen);
  }
  store_be16(out + l2 - 2, kEtherTypeIpv6);
  r[0] = 0x60;
  r[1] = r[2] = r[3] = 0;
  store_be16(r + 4, kNaLen);
  r[6] = kIcmpv6;
  r[7] = 255;
  const uint8_t* target = q + kIpv6HeaderLen + 8;
  std::memcpy(r + 8, target, 16);  // from the address asked for
  std::memcpy(r + 24, q + 8, 16);  // to the asker
  uint8_t* na = r + kIpv6HeaderLen;
  std::memset(na, 0, kNaLen);
  na[0] = kNeighbourAdvertisement;
  na[4] = kNaSolicitedOverride;
  std::memcpy(na + 8, target, 16);
  na[24] = kOptionTargetLinkLayer;
  na[25] = 1;  // in units of 8 bytes
  store_mac(na + 26, match.mac);
  store_be16(na + 2, icmpv6_checksum(r, kNaLen));
  return static_cast<uint16_t>(l2 + kIpv6HeaderLen + kNaLen);
}

rte_mbuf* neighbour_reply_mbuf(rte_mbuf* m, const uint8_t* bytes, uint16_t len, rte_mempool* pool) {
  rte_mbuf* r = m;
  if (writable(m) && m->nb_segs == 1 && m->buf_len >= RTE_PKTMBUF_HEADROOM + len) {
    rte_pktmbuf_reset(m);  // no offload flags, one segment, headroom for a pushed tag
  } else {
    r = pool ? rte_pktmbuf_alloc(pool) : nullptr;
    rte_pktmbuf_free(m);
    if (r == nullptr) return nullptr;
  }
  char* p = rte_pktmbuf_append(r, len);
  if (p == nullptr) {
    rte_pktmbuf_free(r);
    return nullptr;
  }
  std::memcpy(p, bytes, len);
  return r;
}

}  // namespace lvs::sw
