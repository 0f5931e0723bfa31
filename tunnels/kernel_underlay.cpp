#include "tunnels/kernel_underlay.hpp"

#include <netinet/ip.h>
#include <netinet/udp.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "tunnels/vxlan_header.hpp"

namespace lvs::tunnels {

std::unique_ptr<KernelUnderlay> KernelUnderlay::open(const std::string& name,
                                                     const TunnelConfig& config, rte_ring* ring,
                                                     sw::PortStats& stats, rte_mempool* pool,
                                                     std::string& error) {
  UnderlayEndpoint::Key key{config.kind, config.local_ip,
                            config.kind == TunnelKind::kVxlan ? config.dst_port : uint16_t{0}};
  key.v6 = config.ipv6;
  key.local_ip6 = config.local_ip6;
  auto ep = UnderlayEndpoint::acquire(key, pool, error);
  if (!ep) return nullptr;
  std::unique_ptr<KernelUnderlay> u(new KernelUnderlay(config, ep, stats));
  if (!ep->attach(name, UnderlayEndpoint::remote_of(config), config.in_key, ring, &stats, error))
    return nullptr;
  u->attached_ = true;
  return u;
}

KernelUnderlay::KernelUnderlay(const TunnelConfig& config, std::shared_ptr<UnderlayEndpoint> ep,
                               sw::PortStats& stats)
    : encap_(config),
      endpoint_(std::move(ep)),
      stats_(stats),
      tx_fd_(endpoint_->tx_fd(config.df)),
      tx_(kTxBatch),
      tx_msgs_(kTxBatch),
      gso_hdr_(kGsoMaxSegs),
      gso_iov_(kGsoMaxIov) {
  if (config.ipv6) {
    // A raw IPv6 socket takes sin6_port 0 (or its protocol); the UDP sockets the real port.
    auto& r6 = reinterpret_cast<sockaddr_in6&>(remote_);
    r6.sin6_family = AF_INET6;
    std::memcpy(&r6.sin6_addr, config.remote_ip6.data(), 16);
    remote_len_ = sizeof(sockaddr_in6);
    remote_udp_ = remote_;
    reinterpret_cast<sockaddr_in6&>(remote_udp_).sin6_port = htons(config.dst_port);
    cmsg_level_ = IPPROTO_IPV6;
    cmsg_ttl_ = IPV6_HOPLIMIT;
    cmsg_tos_ = IPV6_TCLASS;
  } else {
    auto& r4 = reinterpret_cast<sockaddr_in&>(remote_);
    r4.sin_family = AF_INET;
    r4.sin_addr.s_addr = config.remote_ip;
    remote_len_ = sizeof(sockaddr_in);
    remote_udp_ = remote_;
    reinterpret_cast<sockaddr_in&>(remote_udp_).sin_port = htons(config.dst_port);
  }
  for (unsigned i = 0; i < kTxBatch; ++i) {
    msghdr& h = tx_msgs_[i].msg_hdr;
    h.msg_name = &remote_;
    h.msg_namelen = remote_len_;
    h.msg_iov = tx_[i].iov.data();
    h.msg_control = tx_[i].control;
    h.msg_controllen = sizeof(tx_[i].control);
    cmsghdr* c = CMSG_FIRSTHDR(&h);
    c->cmsg_level = cmsg_level_;
    c->cmsg_type = cmsg_ttl_;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    c = CMSG_NXTHDR(&h, c);
    c->cmsg_level = cmsg_level_;
    c->cmsg_type = cmsg_tos_;
    c->cmsg_len = CMSG_LEN(sizeof(int));
  }
}

KernelUnderlay::~KernelUnderlay() {
  if (attached_)
    endpoint_->detach(UnderlayEndpoint::remote_of(encap_.config()), encap_.config().in_key);
}

void KernelUnderlay::transmit(unsigned, rte_mbuf** pkts, uint16_t n) {
  const TunnelConfig& c = encap_.config();
  const unsigned nsock = c.kind == TunnelKind::kVxlan && c.df ? endpoint_->gso_sockets() : 0;
  constexpr uint64_t kSegFlags = RTE_MBUF_F_TX_TCP_SEG | RTE_MBUF_F_TX_UDP_SEG;
  unsigned k = 0;
  uint64_t malformed = 0;
  for (uint16_t i = 0; i < n; ++i) {
    const bool gso = nsock != 0 && (pkts[i]->ol_flags & kSegFlags) != 0;
    if (gso && k) {  // keep the flow's order: what was gathered before leaves first
      flush(k);
      k = 0;
    }
    malformed += for_each_piece(
        c, &pkts[i], 1, [&](const rte_mbuf* m, const InnerSegment& s, PieceMeta meta) {
          if (nsock) {  // the source port of the flow's UDP socket, whichever way it leaves
            const unsigned sock = meta.src_port % nsock;
            meta.src_port = endpoint_->gso_port(sock);
            if (gso) return gso_add(m, s, meta, endpoint_->gso_fd(sock));
          }
          if (k == kTxBatch) {
            flush(k);
            k = 0;
          }
          TxMsg& t = tx_[k];
          const unsigned iovs = encap_.build(m, s, meta.src_port, t.hdr, t.iov.data());
          if (__builtin_expect(iovs == 0, 0)) {
            ++malformed;
            return;
          }
          msghdr& h = tx_msgs_[k].msg_hdr;
          h.msg_iovlen = iovs;
          const int ttl = meta.ttl, tos = meta.tos;
          cmsghdr* cm = CMSG_FIRSTHDR(&h);
          std::memcpy(CMSG_DATA(cm), &ttl, sizeof(int));
          std::memcpy(CMSG_DATA(CMSG_NXTHDR(&h, cm)), &tos, sizeof(int));
          ++k;
        });
    if (gso) gso_send();
  }
  flush(k);
  malformed += gso_malformed_;
  gso_malformed_ = 0;
  if (malformed) stats_.add_drop(sw::DropReason::kMalformed, malformed);
  rte_pktmbuf_free_bulk(pkts, n);  // the kernel copied what it took
}

void KernelUnderlay::gso_add(const rte_mbuf* m, const InnerSegment& s, const PieceMeta& meta,
                             int fd) {
  const unsigned piece = kVxlanHeaderLen + s.hdr_len + s.len;  // one datagram's UDP payload
  if (gso_segs_ != 0 &&
      (gso_short_ || piece > gso_size_ || gso_segs_ == kGsoMaxSegs ||
       gso_bytes_ + piece > kGsoMaxBytes || gso_iovs_ + TunnelEncap::kMaxIov > kGsoMaxIov))
    gso_send();
  if (gso_segs_ == 0) {
    gso_size_ = static_cast<uint16_t>(piece);
    gso_fd_now_ = fd;
    gso_meta_ = meta;
  }
  uint8_t* hdr = gso_hdr_[gso_segs_].data();
  iovec* iov = &gso_iov_[gso_iovs_];
  const unsigned iovs = encap_.build(m, s, meta.src_port, hdr, iov);
  if (__builtin_expect(iovs == 0, 0)) {
    ++gso_malformed_;
    return;
  }
  iov[0].iov_base = hdr + kUdpHeaderLen;  // the socket writes the UDP header itself
  iov[0].iov_len -= kUdpHeaderLen;
  gso_iovs_ += iovs;
  gso_bytes_ += piece;
  ++gso_segs_;
  gso_short_ = piece < gso_size_;
}

void KernelUnderlay::gso_send() {
  if (gso_segs_ == 0) return;
  msghdr h{};
  h.msg_name = &remote_udp_;
  h.msg_namelen = remote_len_;
  h.msg_iov = gso_iov_.data();
  h.msg_iovlen = gso_iovs_;
  h.msg_control = gso_control_;
  h.msg_controllen = sizeof(gso_control_);
  const int ttl = gso_meta_.ttl, tos = gso_meta_.tos;
  cmsghdr* cm = CMSG_FIRSTHDR(&h);
  cm->cmsg_level = cmsg_level_;
  cm->cmsg_type = cmsg_ttl_;
  cm->cmsg_len = CMSG_LEN(sizeof(int));
  std::memcpy(CMSG_DATA(cm), &ttl, sizeof(int));
  cm = CMSG_NXTHDR(&h, cm);
  cm->cmsg_level = cmsg_level_;
  cm->cmsg_type = cmsg_tos_;
  cm->cmsg_len = CMSG_LEN(sizeof(int));
  std::memcpy(CMSG_DATA(cm), &tos, sizeof(int));
  cm = CMSG_NXTHDR(&h, cm);
  cm->cmsg_level = SOL_UDP;
  cm->cmsg_type = UDP_SEGMENT;
  cm->cmsg_len = CMSG_LEN(sizeof(uint16_t));
  std::memcpy(CMSG_DATA(cm), &gso_size_, sizeof(uint16_t));
  bool waited = false;
  for (;;) {
    if (sendmsg(gso_fd_now_, &h, MSG_DONTWAIT) >= 0) break;
    const int err = errno;
    if (err == EINTR) continue;
    if ((err == EAGAIN || err == ENOBUFS) && !waited) {  // as in flush()
      pollfd p{gso_fd_now_, POLLOUT, 0};
      ::poll(&p, 1, 1);
      waited = true;
      continue;
    }
    // EMSGSIZE, or EINVAL for a segment over the path MTU: the kernel cannot fragment GSO.
    stats_.add_drop(
        err == EMSGSIZE || err == EINVAL ? sw::DropReason::kTooBig : sw::DropReason::kTxFull,
        gso_segs_);
    break;
  }
  gso_segs_ = gso_iovs_ = gso_bytes_ = 0;
  gso_short_ = false;
}

void KernelUnderlay::flush(unsigned count) {
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
  if (too_big) stats_.add_drop(sw::DropReason::kTooBig, too_big);
  if (refused) stats_.add_drop(sw::DropReason::kTxFull, refused);
}

sw::PortStatus KernelUnderlay::status() const {
  sw::PortStatus st;
  const TunnelConfig& c = encap_.config();
  // The route's MTU towards remote_ip, less what encapsulation adds.
  const int fd = socket(c.ipv6 ? AF_INET6 : AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd >= 0) {
    sockaddr_storage to = remote_;
    // sin_port and sin6_port sit at the same offset.
    reinterpret_cast<sockaddr_in&>(to).sin_port =
        htons(c.kind == TunnelKind::kVxlan ? c.dst_port : 9);
    int mtu = 0;
    socklen_t len = sizeof(mtu);
    if (connect(fd, reinterpret_cast<const sockaddr*>(&to), remote_len_) == 0 &&
        getsockopt(fd, c.ipv6 ? IPPROTO_IPV6 : IPPROTO_IP, c.ipv6 ? IPV6_MTU : IP_MTU, &mtu,
                   &len) == 0 &&
        mtu > tunnel_overhead(c) + 14)
      st.mtu = static_cast<uint32_t>(mtu - tunnel_overhead(c) - 14);
    else
      st.error = "no route to remote_ip " + remote_ip_string(c);
    close(fd);
  }
  return st;
}

}  // namespace lvs::tunnels
