#include "tunnels/tunnel_encap.hpp"

#include <netinet/in.h>
#include <rte_ip.h>

#include <algorithm>
#include <cstring>

#include "tunnels/gre_header.hpp"
#include "tunnels/mbuf_cursor.hpp"
#include "tunnels/vxlan_header.hpp"

namespace lvs::tunnels {
namespace {

inline void put_be16(uint8_t* p, uint32_t v) {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}

}  // namespace

TunnelEncap::TunnelEncap(const TunnelConfig& config) : config_(config) {
  if (config.kind == TunnelKind::kVxlan) {
    write_vxlan_header(template_, config.out_key.value_or(0));
    template_len_ = kVxlanHeaderLen;
  } else {
    template_len_ = static_cast<uint8_t>(write_gre_header(template_, config.csum, config.out_key));
  }
}

unsigned TunnelEncap::header_len() const {
  return config_.kind == TunnelKind::kVxlan ? kUdpHeaderLen + kVxlanHeaderLen : template_len_;
}

unsigned TunnelEncap::build(const rte_mbuf* m, const InnerSegment& s, uint16_t src_port,
                            uint8_t* hdr, iovec* iov) const {
  const uint32_t inner_len = s.hdr_len + s.len;
  size_t tl;
  if (config_.kind == TunnelKind::kVxlan) {
    put_be16(hdr, src_port);
    put_be16(hdr + 2, config_.dst_port);
    put_be16(hdr + 4, kUdpHeaderLen + kVxlanHeaderLen + inner_len);
    hdr[6] = hdr[7] = 0;
    std::memcpy(hdr + 8, template_, kVxlanHeaderLen);
    tl = kUdpHeaderLen + kVxlanHeaderLen;
  } else {
    std::memcpy(hdr, template_, template_len_);
    tl = template_len_;
  }
  if (s.hdr_len) std::memcpy(hdr + tl, s.hdr, s.hdr_len);
  iov[0] = {hdr, tl + s.hdr_len};
  unsigned n = 1;
  MbufCursor c = s.at.seg != nullptr ? s.at : MbufCursor::at(m, s.off);
  c.settle();
  uint32_t off = c.off, left = s.len;
  const rte_mbuf* seg = c.seg;
  while (left > 0) {
    if (seg == nullptr || n == kMaxIov) return 0;
    const uint32_t take = std::min<uint32_t>(left, seg->data_len - off);
    iov[n++] = {rte_pktmbuf_mtod_offset(const_cast<rte_mbuf*>(seg), void*, off), take};
    left -= take;
    off = 0;
    seg = seg->next;
  }
  const bool udp_csum = config_.kind == TunnelKind::kVxlan && config_.csum && config_.local_ip;
  if (config_.kind == TunnelKind::kGre ? config_.csum : udp_csum) {
    uint32_t sum = rte_raw_cksum(hdr, tl + s.hdr_len);
    uint16_t pay = 0;
    if (s.len) rte_raw_cksum_mbuf(m, s.off, s.len, &pay);
    sum += pay;
    if (udp_csum) {
      uint8_t ph[12] = {};
      std::memcpy(ph, &config_.local_ip, 4);
      std::memcpy(ph + 4, &config_.remote_ip, 4);
      ph[9] = IPPROTO_UDP;
      put_be16(ph + 10, tl + inner_len);
      sum += rte_raw_cksum(ph, sizeof(ph));
    }
    uint16_t c = static_cast<uint16_t>(~csum_fold32(sum));
    if (udp_csum && c == 0) c = 0xffff;
    std::memcpy(hdr + (udp_csum ? 6 : 4), &c, 2);
  }
  return n;
}

}  // namespace lvs::tunnels
