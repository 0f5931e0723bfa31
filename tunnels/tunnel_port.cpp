#include "tunnels/tunnel_port.hpp"

#include <netinet/ip.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "tunnels/gre_header.hpp"
#include "tunnels/inner_frame.hpp"
#include "tunnels/vxlan_header.hpp"

namespace lvs::tunnels {
namespace {

constexpr unsigned kRingSize = 2048;

inline void put_be16(uint8_t* p, uint32_t v) {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}

}  // namespace

uint16_t tunnel_overhead(const TunnelConfig& c) {
  if (c.kind == TunnelKind::kVxlan) return kVxlanOverhead;
  return static_cast<uint16_t>(20 + gre_header_len(c.csum, c.out_key.has_value()));
}

std::shared_ptr<TunnelPort> TunnelPort::open(const std::string& name, const TunnelConfig& config,
                                             rte_mempool* pool, std::string& error) {
  const UnderlayEndpoint::Key key{config.kind, config.local_ip,
                                  config.kind == TunnelKind::kVxlan ? config.dst_port : uint16_t{0}};
  auto ep = UnderlayEndpoint::acquire(key, pool, error);
  if (!ep) return nullptr;
  static std::atomic<unsigned> seq{0};
  const std::string ring_name = "lvtun" + std::to_string(getpid() % 100000) + "_" +
                                std::to_string(seq.fetch_add(1));
  rte_ring* ring = rte_ring_create(ring_name.c_str(), kRingSize, SOCKET_ID_ANY,
                                   RING_F_SP_ENQ | RING_F_SC_DEQ);
  if (ring == nullptr) {
    error = "port " + name + ": cannot create its receive ring";
    return nullptr;
  }
  auto port = std::shared_ptr<TunnelPort>(new TunnelPort(name, config, ep, ring));
  if (!ep->attach(config.remote_ip, config.in_key, ring, &port->stats(), error)) {
    port->endpoint_.reset();  // not attached: nothing to detach
    return nullptr;
  }
  return port;
}

TunnelPort::TunnelPort(std::string name, const TunnelConfig& config,
                       std::shared_ptr<UnderlayEndpoint> ep, rte_ring* ring)
    : Port(std::move(name)),
      config_(config),
      endpoint_(std::move(ep)),
      ring_(ring),
      tx_fd_(endpoint_->tx_fd(config.df)),
      tx_(kTxBatch),
      tx_msgs_(kTxBatch) {
  remote_.sin_family = AF_INET;
  remote_.sin_addr.s_addr = config.remote_ip;
  if (config.kind == TunnelKind::kVxlan) {
    write_vxlan_header(template_, config.out_key.value_or(0));
    template_len_ = kVxlanHeaderLen;
  } else {
    template_len_ = static_cast<uint8_t>(write_gre_header(template_, config.csum, config.out_key));
  }
  for (unsigned i = 0; i < kTxBatch; ++i) {
    msghdr& h = tx_msgs_[i].msg_hdr;
    h.msg_name = &remote_;
    h.msg_namelen = sizeof(remote_);
    h.msg_iov = tx_[i].iov.data();
    h.msg_control = tx_[i].control;
    h.msg_controllen = sizeof(tx_[i].control);
    cmsghdr* c = CMSG_FIRSTHDR(&h);
    c->cmsg_level = IPPROTO_IP;
    c->cmsg_type = IP_TTL;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    c = CMSG_NXTHDR(&h, c);
    c->cmsg_level = IPPROTO_IP;
    c->cmsg_type = IP_TOS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
  }
}

TunnelPort::~TunnelPort() {
  if (endpoint_) endpoint_->detach(config_.remote_ip, config_.in_key);
  void* m;
  while (rte_ring_sc_dequeue(ring_, &m) == 0) rte_pktmbuf_free(static_cast<rte_mbuf*>(m));
  rte_ring_free(ring_);
}

uint16_t TunnelPort::rx_burst(uint16_t, rte_mbuf** pkts, uint16_t n) {
  if (rte_ring_empty(ring_)) endpoint_->poll();
  return static_cast<uint16_t>(
      rte_ring_sc_dequeue_burst(ring_, reinterpret_cast<void**>(pkts), n, nullptr));
}

unsigned TunnelPort::build(const rte_mbuf* m, const InnerSegment& s, uint16_t src_port,
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
  uint32_t off = s.off, left = s.len;
  const rte_mbuf* seg = m;
  while (seg != nullptr && off >= seg->data_len) {
    off -= seg->data_len;
    seg = seg->next;
  }
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

uint16_t TunnelPort::tx_burst(uint16_t, rte_mbuf** pkts, uint16_t n) {
  const bool vxlan = config_.kind == TunnelKind::kVxlan;
  const bool inspect = vxlan || config_.ttl_inherit || config_.tos_inherit;
  unsigned k = 0;
  uint64_t malformed = 0;
  for (uint16_t i = 0; i < n; ++i) {
    rte_mbuf* m = pkts[i];
    InnerInfo info;
    if (inspect) info = inspect_inner(m);
    const uint16_t src_port = flow_source_port(info.hash);
    const int ttl = config_.ttl_inherit && info.ip ? info.ttl : config_.ttl;
    const int tos = config_.tos_inherit ? (info.ip ? info.tos : 0) : config_.tos;
    const GsoResult r = for_each_inner_segment(m, [&](const InnerSegment& s) {
      if (k == kTxBatch) {
        flush(k);
        k = 0;
      }
      TxMsg& t = tx_[k];
      const unsigned iovs = build(m, s, src_port, t.hdr, t.iov.data());
      if (__builtin_expect(iovs == 0, 0)) {
        ++malformed;
        return;
      }
      msghdr& h = tx_msgs_[k].msg_hdr;
      h.msg_iovlen = iovs;
      cmsghdr* c = CMSG_FIRSTHDR(&h);
      std::memcpy(CMSG_DATA(c), &ttl, sizeof(int));
      std::memcpy(CMSG_DATA(CMSG_NXTHDR(&h, c)), &tos, sizeof(int));
      ++k;
    });
    if (__builtin_expect(r != GsoResult::kOk, 0)) ++malformed;
  }
  flush(k);
  if (malformed) stats().add_drop(sw::DropReason::kMalformed, malformed);
  rte_pktmbuf_free_bulk(pkts, n);  // the kernel copied what it took
  return n;
}

void TunnelPort::flush(unsigned count) {
  unsigned i = 0;
  uint64_t too_big = 0, refused = 0;
  bool waited = false;
  while (i < count) {
    const int r = sendmmsg(tx_fd_, &tx_msgs_[i], count - i, MSG_DONTWAIT);
    if (r > 0) {
      i += static_cast<unsigned>(r);
      continue;
    }
    const int err = errno;
    if (err == EINTR) continue;
    if (err == EMSGSIZE) {  // DF set and larger than the path MTU: this piece only
      ++too_big;
      ++i;
      continue;
    }
    if ((err == EAGAIN || err == ENOBUFS) && !waited) {
      // Socket buffer full: the far side is behind. Wait a little rather than drop a burst of
      // TCP segments (which costs far more than the wait).
      pollfd p{tx_fd_, POLLOUT, 0};
      ::poll(&p, 1, 1);
      waited = true;
      continue;
    }
    if (err == EAGAIN || err == ENOBUFS) {
      refused += count - i;
      break;
    }
    ++refused;  // unreachable and the like: this piece only
    ++i;
  }
  if (too_big) stats().add_drop(sw::DropReason::kTooBig, too_big);
  if (refused) stats().add_drop(sw::DropReason::kTxFull, refused);
}

sw::PortStatus TunnelPort::status() const {
  sw::PortStatus st;
  // The route's MTU towards remote_ip, less what encapsulation adds.
  const int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd >= 0) {
    sockaddr_in to = remote_;
    to.sin_port = htons(config_.kind == TunnelKind::kVxlan ? config_.dst_port : 9);
    int mtu = 0;
    socklen_t len = sizeof(mtu);
    if (connect(fd, reinterpret_cast<const sockaddr*>(&to), sizeof(to)) == 0 &&
        getsockopt(fd, IPPROTO_IP, IP_MTU, &mtu, &len) == 0 && mtu > tunnel_overhead(config_) + 14)
      st.mtu = static_cast<uint32_t>(mtu - tunnel_overhead(config_) - 14);
    else
      st.error = "no route to remote_ip " + ipv4_to_string(config_.remote_ip);
    close(fd);
  }
  return st;
}

}  // namespace lvs::tunnels
