#pragma once
// What encapsulation needs to know about an inner frame, read once per frame: the flow hash
// (outer UDP source port, as Linux's vxlan does: entropy for ECMP and RSS on the far host) and the
// inner IP TOS / TTL for tos=inherit / ttl=inherit. Reads through mbuf chains (a flood's header
// copy holds only the Ethernet header).
#include <rte_hash_crc.h>
#include <rte_mbuf.h>

#include <algorithm>
#include <cstdint>
#include <cstring>

namespace lvs::tunnels {

struct InnerInfo {
  uint32_t hash = 0;
  bool ip = false;
  uint8_t tos = 0;
  uint8_t ttl = 64;
};

// CRC32 of `len` bytes at any alignment: DPDK's rte_hash_crc() loads 8 bytes at a time through
// a uint64_t pointer, which is undefined behaviour on unaligned frame data (UBSan reports it).
inline uint32_t crc_unaligned(const uint8_t* p, uint32_t len, uint32_t h) {
  for (; len >= 8; p += 8, len -= 8) {
    uint64_t v;
    std::memcpy(&v, p, 8);
    h = rte_hash_crc_8byte(v, h);
  }
  for (; len >= 4; p += 4, len -= 4) {
    uint32_t v;
    std::memcpy(&v, p, 4);
    h = rte_hash_crc_4byte(v, h);
  }
  for (; len > 0; ++p, --len) h = rte_hash_crc_1byte(*p, h);
  return h;
}

inline InnerInfo inspect_inner(const rte_mbuf* m) {
  uint8_t buf[72];
  const uint32_t n = std::min<uint32_t>(m->pkt_len, sizeof(buf));
  const auto* p = static_cast<const uint8_t*>(rte_pktmbuf_read(m, 0, n, buf));
  InnerInfo info;
  if (p == nullptr || n < 14) return info;
  uint32_t h = crc_unaligned(p, 12, 0x5eed);  // both MACs
  uint32_t off = 12;
  uint16_t type = static_cast<uint16_t>(p[off] << 8 | p[off + 1]);
  while ((type == 0x8100 || type == 0x88a8) && off + 6 <= n) {
    off += 4;
    type = static_cast<uint16_t>(p[off] << 8 | p[off + 1]);
  }
  off += 2;
  uint8_t proto = 0;
  uint32_t l4 = 0;
  if (type == 0x0800 && off + 20 <= n) {
    const uint8_t* ip = p + off;
    info.ip = true;
    info.tos = ip[1];
    info.ttl = ip[8];
    h = crc_unaligned(ip + 12, 8, h);
    const bool fragment = ((ip[6] << 8 | ip[7]) & 0x3fff) != 0;
    if (!fragment) {
      proto = ip[9];
      l4 = off + (ip[0] & 0xf) * 4u;
    }
  } else if (type == 0x86dd && off + 40 <= n) {
    const uint8_t* ip = p + off;
    info.ip = true;
    info.tos = static_cast<uint8_t>((ip[0] << 4) | (ip[1] >> 4));
    info.ttl = ip[7];
    h = crc_unaligned(ip + 8, 32, h);
    proto = ip[6];
    l4 = off + 40;
  } else {
    h = rte_hash_crc_4byte(type, h);
  }
  if ((proto == 6 || proto == 17) && l4 + 4 <= n) h = crc_unaligned(p + l4, 4, h);
  info.hash = h;
  return info;
}

// Linux's choice (udp_flow_src_port): the hash scaled into the ephemeral range 32768..60999.
inline uint16_t flow_source_port(uint32_t hash) {
  constexpr uint32_t kMin = 32768, kMax = 61000;
  return static_cast<uint16_t>(((static_cast<uint64_t>(hash) * (kMax - kMin)) >> 32) + kMin);
}

}  // namespace lvs::tunnels
