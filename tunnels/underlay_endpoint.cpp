#include "tunnels/underlay_endpoint.hpp"

#include <arpa/inet.h>
#include <linux/filter.h>
#include <netinet/udp.h>
#include <netinet/ip.h>
#include <rte_cycles.h>
#include <rte_ip.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <map>

#include "tunnels/gre_header.hpp"
#include "tunnels/large_frame_pool.hpp"
#include "tunnels/vxlan_gro.hpp"
#include "tunnels/vxlan_header.hpp"

namespace lvs::tunnels {
namespace {

constexpr int kRcvBuf = 8 << 20;
constexpr int kSndBuf = 4 << 20;

bool set_int(int fd, int level, int opt, int value) {
  return setsockopt(fd, level, opt, &value, sizeof(value)) == 0;
}

void set_buffers(int fd) {
  if (!set_int(fd, SOL_SOCKET, SO_RCVBUFFORCE, kRcvBuf)) set_int(fd, SOL_SOCKET, SO_RCVBUF, kRcvBuf);
  if (!set_int(fd, SOL_SOCKET, SO_SNDBUFFORCE, kSndBuf)) set_int(fd, SOL_SOCKET, SO_SNDBUF, kSndBuf);
}

// A socket that only sends must not queue copies of every received packet of its protocol.
bool drop_all_input(int fd) {
  sock_filter code[] = {{BPF_RET | BPF_K, 0, 0, 0}};
  sock_fprog prog{1, code};
  return setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog)) == 0;
}

// The sender of a received packet, as a Remote (underlay_endpoint.hpp).
UnderlayEndpoint::Remote remote_from(const sockaddr_storage& from) {
  UnderlayEndpoint::Remote r{};
  if (from.ss_family == AF_INET6)
    std::memcpy(r.data(), &reinterpret_cast<const sockaddr_in6&>(from).sin6_addr, 16);
  else
    std::memcpy(r.data(), &reinterpret_cast<const sockaddr_in&>(from).sin_addr, 4);
  return r;
}

std::mutex& registry_mutex() {
  static std::mutex m;
  return m;
}
std::map<UnderlayEndpoint::Key, std::weak_ptr<UnderlayEndpoint>>& registry() {
  static std::map<UnderlayEndpoint::Key, std::weak_ptr<UnderlayEndpoint>> r;
  return r;
}

}  // namespace

std::shared_ptr<UnderlayEndpoint> UnderlayEndpoint::acquire(const Key& wanted, rte_mempool* pool,
                                                            std::string& error) {
  // Sockets belong to the namespace they were opened in: ports opened in another namespace
  // (tests run several "hosts" in one process) need endpoints of their own.
  Key key = wanted;
  struct stat st{};
  key.netns = stat("/proc/thread-self/ns/net", &st) == 0 ? st.st_ino : 0;
  std::lock_guard lock(registry_mutex());
  auto& r = registry();
  if (auto it = r.find(key); it != r.end())
    if (auto ep = it->second.lock()) return ep;
  if (pool == nullptr) {
    error = "no mempool for the tunnel endpoint";
    return nullptr;
  }
  auto ep = std::shared_ptr<UnderlayEndpoint>(new UnderlayEndpoint(key, pool));
  if (!ep->open_sockets(error)) return nullptr;
  r[key] = ep;
  return ep;
}

UnderlayEndpoint::UnderlayEndpoint(const Key& key, rte_mempool* pool)
    : key_(key), pool_(pool), rx_(sw::kBurst) {
  gso_fd_.fill(-1);
}

UnderlayEndpoint::~UnderlayEndpoint() {
  if (rx_fd_ >= 0) close(rx_fd_);
  for (int fd : tx_fd_)
    if (fd >= 0 && fd != rx_fd_) close(fd);
  for (int fd : gso_fd_)
    if (fd >= 0) close(fd);
  for (RxSlot& s : rx_)
    for (rte_mbuf*& m : s.segs)
      if (m != nullptr) rte_pktmbuf_free(m);
}

UnderlayEndpoint::Remote UnderlayEndpoint::remote_of(const TunnelConfig& c) {
  Remote r{};
  if (c.ipv6)
    r = c.remote_ip6;
  else
    std::memcpy(r.data(), &c.remote_ip, 4);
  return r;
}

socklen_t UnderlayEndpoint::local_address(sockaddr_storage& out, uint16_t port) const {
  out = {};
  if (key_.v6) {
    auto& a = reinterpret_cast<sockaddr_in6&>(out);
    a.sin6_family = AF_INET6;
    a.sin6_port = htons(port);
    std::memcpy(&a.sin6_addr, key_.local_ip6.data(), 16);
    return sizeof(sockaddr_in6);
  }
  auto& a = reinterpret_cast<sockaddr_in&>(out);
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = key_.local_ip;
  return sizeof(sockaddr_in);
}

bool UnderlayEndpoint::open_sockets(std::string& error) {
  auto fail = [&](const std::string& what) {
    error = describe() + ": " + what + ": " + std::strerror(errno);
    return false;
  };
  sockaddr_storage local{};
  socklen_t local_len = local_address(local, 0);
  const bool bound = key_.v6 ? key_.local_ip6 != std::array<uint8_t, 16>{} : key_.local_ip != 0;
  const int af = family();
  const int proto = key_.kind == TunnelKind::kVxlan ? int{IPPROTO_UDP} : int{kIpProtoGre};
  if (key_.kind == TunnelKind::kVxlan) {
    rx_fd_ = socket(af, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (rx_fd_ < 0) return fail("UDP socket");
    // IPv6 only: an IPv4 endpoint may hold the same port on 0.0.0.0.
    if (key_.v6 && !set_int(rx_fd_, IPPROTO_IPV6, IPV6_V6ONLY, 1)) return fail("IPV6_V6ONLY");
    sockaddr_storage at{};
    const socklen_t at_len = local_address(at, key_.port);
    if (bind(rx_fd_, reinterpret_cast<sockaddr*>(&at), at_len) != 0)
      return fail("bind UDP port " + std::to_string(key_.port));
  } else {
    rx_fd_ = socket(af, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, proto);
    if (rx_fd_ < 0) return fail("raw GRE socket");
    // A bound raw socket only sees packets addressed to local_ip.
    if (bound && bind(rx_fd_, reinterpret_cast<sockaddr*>(&local), local_len) != 0)
      return fail("bind");
  }
  set_buffers(rx_fd_);
  // VXLAN: let the kernel hand over runs of datagrams of one flow at once (vxlan_gro.hpp).
  if (key_.kind == TunnelKind::kVxlan) gro_ = set_int(rx_fd_, SOL_UDP, UDP_GRO, 1);
  for (int df = 0; df < 2; ++df) {
    int fd;
    if (key_.kind == TunnelKind::kGre && df == 1) {
      fd = rx_fd_;
    } else {
      fd = socket(af, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, proto);
      if (fd < 0) return fail("raw send socket");
      tx_fd_[df] = fd;
      if (!drop_all_input(fd)) return fail("SO_ATTACH_FILTER");
      if (bound && bind(fd, reinterpret_cast<sockaddr*>(&local), local_len) != 0)
        return fail("bind");
      // UDP over IPv6 must carry a checksum (RFC 8200 8.1): the kernel fills it in at offset 6
      // over the pseudo-header it builds (a zero result goes out as 0xffff).
      if (key_.v6 && !set_int(fd, IPPROTO_IPV6, IPV6_CHECKSUM, 6)) return fail("IPV6_CHECKSUM");
      set_buffers(fd);
    }
    tx_fd_[df] = fd;
    const bool mtu_ok =
        key_.v6 ? set_int(fd, IPPROTO_IPV6, IPV6_MTU_DISCOVER,
                          df ? IPV6_PMTUDISC_DO : IPV6_PMTUDISC_DONT)
                : set_int(fd, IPPROTO_IP, IP_MTU_DISCOVER, df ? IP_PMTUDISC_DO : IP_PMTUDISC_DONT);
    if (!mtu_ok) return fail("IP_MTU_DISCOVER");
  }
  if (key_.kind == TunnelKind::kVxlan) open_gso_sockets();
  segs_per_slot_ = ports::segments_per_frame(pool_);
  if (segs_per_slot_ == 0) {
    error = "mbufs of the pool are too small for 64 KiB packets";
    return false;
  }
  large_ = large_frame_pool();
  for (unsigned i = 0; i < sw::kBurst; ++i) {
    msghdr& h = rx_msgs_[i].msg_hdr;
    h.msg_iov = rx_[i].iov.data();
    h.msg_name = &rx_[i].from;
  }
  return true;
}

void UnderlayEndpoint::open_gso_sockets() {
  // Optional: without them (old kernel, no UDP_SEGMENT) super-frames go piece by piece.
  sockaddr_storage local{};
  const socklen_t local_len = local_address(local, 0);
  for (unsigned i = 0; i < kGsoSockets; ++i) {
    const int fd = socket(family(), SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return;
    gso_fd_[i] = fd;
    sockaddr_storage bound{};
    socklen_t len = sizeof(bound);
    const bool mtu_ok = key_.v6 ? set_int(fd, IPPROTO_IPV6, IPV6_V6ONLY, 1) &&
                                      set_int(fd, IPPROTO_IPV6, IPV6_MTU_DISCOVER, IPV6_PMTUDISC_DO)
                                : set_int(fd, IPPROTO_IP, IP_MTU_DISCOVER, IP_PMTUDISC_DO);
    if (!drop_all_input(fd) || !mtu_ok ||
        bind(fd, reinterpret_cast<sockaddr*>(&local), local_len) != 0 ||
        !set_int(fd, SOL_UDP, UDP_SEGMENT, 1400) || !set_int(fd, SOL_UDP, UDP_SEGMENT, 0) ||
        getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &len) != 0)
      return;
    // sin_port and sin6_port sit at the same offset.
    gso_port_[i] = ntohs(reinterpret_cast<const sockaddr_in&>(bound).sin_port);
    set_buffers(fd);
  }
  gso_ok_ = true;
}

std::string UnderlayEndpoint::describe() const {
  std::string s = key_.kind == TunnelKind::kVxlan ? "vxlan " : "gre ";
  if (key_.v6)
    s += key_.local_ip6 == std::array<uint8_t, 16>{} ? "[::]"
                                                     : "[" + ipv6_to_string(key_.local_ip6) + "]";
  else
    s += key_.local_ip ? ipv4_to_string(key_.local_ip) : "*";
  if (key_.kind == TunnelKind::kVxlan) s += ":" + std::to_string(key_.port);
  return s;
}

std::string UnderlayEndpoint::remote_string(const Remote& remote) const {
  if (key_.v6) return ipv6_to_string(remote);
  uint32_t a;
  std::memcpy(&a, remote.data(), 4);
  return ipv4_to_string(a);
}

bool UnderlayEndpoint::attach(const Remote& remote, uint32_t key, rte_ring* ring,
                              sw::PortStats* stats, std::string& error) {
  std::lock_guard lock(mutex_);
  if (!flows_.emplace(FlowKey{remote, key}, Flow{ring, stats}).second) {
    error = describe() + ": another tunnel port already has remote_ip " + remote_string(remote) +
            " and key " + std::to_string(key);
    return false;
  }
  remotes_.emplace(remote, stats);
  return true;
}

void UnderlayEndpoint::detach(const Remote& remote, uint32_t key) {
  std::lock_guard lock(mutex_);
  flows_.erase(FlowKey{remote, key});
  remotes_.erase(remote);
  for (const auto& [k, f] : flows_)  // another port with that remote takes over its counting
    if (k.remote == remote) remotes_.emplace(remote, f.stats);
}

sw::PortStats* UnderlayEndpoint::stats_for_remote(const Remote& remote) const {
  auto it = remotes_.find(remote);
  return it == remotes_.end() ? nullptr : it->second;
}

EndpointCounters UnderlayEndpoint::counters() const {
  EndpointCounters c;
  c.rx_packets = counters_.rx_packets.load(std::memory_order_relaxed);
  c.malformed = counters_.malformed.load(std::memory_order_relaxed);
  c.no_tunnel = counters_.no_tunnel.load(std::memory_order_relaxed);
  c.ring_full = counters_.ring_full.load(std::memory_order_relaxed);
  c.rx_no_mbuf = counters_.rx_no_mbuf.load(std::memory_order_relaxed);
  c.rx_joined = counters_.rx_joined.load(std::memory_order_relaxed);
  return c;
}

bool UnderlayEndpoint::stock_slots() {
  // A receive consumes a prefix of a slot's segments: a slot is full when its head is there.
  for (unsigned i = 0; i < sw::kBurst; ++i)
    if (rx_[i].segs[0] == nullptr && !stock_slot(rx_[i], rx_msgs_[i])) return false;
  return true;
}

bool UnderlayEndpoint::stock_slot(RxSlot& s, mmsghdr& msg) {
  if (!(s.large && s.segs[1] != nullptr)) {  // the tail is gone too (or was never there)
    rte_mbuf* big = large_ != nullptr ? rte_pktmbuf_alloc(large_) : nullptr;
    if (big != nullptr) {
      for (unsigned i = 1; i < s.nsegs; ++i)  // a tail of small spares left by a short receive
        if (s.segs[i] != nullptr) {
          rte_pktmbuf_free(s.segs[i]);
          s.segs[i] = nullptr;
        }
      s.segs[1] = big;
      ports::arm_segment(big, 1, s.iov[1]);
      s.nsegs = 2;
      s.large = true;
    } else if (s.large || s.nsegs == 0) {
      s.large = false;
      s.nsegs = segs_per_slot_;
    }
  }
  rte_mbuf* fresh[ports::kMaxFrameSegs];
  unsigned missing = 0;
  for (unsigned i = 0; i < s.nsegs; ++i) missing += s.segs[i] == nullptr;
  if (rte_pktmbuf_alloc_bulk(pool_, fresh, missing) != 0) return false;
  for (unsigned i = 0, k = 0; i < s.nsegs; ++i)
    if (s.segs[i] == nullptr) {
      s.segs[i] = fresh[k++];
      ports::arm_segment(s.segs[i], i, s.iov[i]);
    }
  msg.msg_hdr.msg_iovlen = s.nsegs;
  return true;
}

DecapStatus UnderlayEndpoint::decap(TunnelKind kind, rte_mbuf* m, uint32_t& key) {
  const auto* p = rte_pktmbuf_mtod(m, const uint8_t*);
  const uint32_t seg_len = m->data_len;
  uint32_t strip = 0;
  if (kind == TunnelKind::kVxlan) {
    if (auto st = parse_vxlan_header(p, seg_len, key); st != DecapStatus::kOk) return st;
    strip = kVxlanHeaderLen;
  } else {
    if (seg_len < 20) return DecapStatus::kTruncated;
    const uint32_t ihl = (p[0] & 0xf) * 4u;
    if ((p[0] >> 4) != 4 || ihl < 20 || p[9] != kIpProtoGre) return DecapStatus::kBadFlags;
    if (seg_len < ihl) return DecapStatus::kTruncated;
    GreInfo gre;
    if (auto st = parse_gre_header(p + ihl, seg_len - ihl, gre); st != DecapStatus::kOk) return st;
    if (gre.has_csum) {
      uint16_t sum = 0;
      if (rte_raw_cksum_mbuf(m, ihl, m->pkt_len - ihl, &sum) != 0 || sum != 0xffff)
        return DecapStatus::kBadChecksum;
    }
    key = gre.key;
    strip = ihl + static_cast<uint32_t>(gre.header_len);
  }
  if (m->pkt_len < strip + 14 || m->data_len < strip) return DecapStatus::kTruncated;
  rte_pktmbuf_adj(m, static_cast<uint16_t>(strip));
  return DecapStatus::kOk;
}

void UnderlayEndpoint::note_unknown(const Remote& remote, uint32_t key) {
  // At most one line per 10 s: the counters tell how many, the line tells from where.
  const uint64_t now = rte_rdtsc();
  if (last_log_tsc_ != 0 && now - last_log_tsc_ < 10 * rte_get_tsc_hz()) return;
  last_log_tsc_ = now;
  std::fprintf(
      stderr,
      "tunnel endpoint %s: dropped packets for no tunnel port (last: remote %s key %u; %llu so "
      "far)\n",
      describe().c_str(), remote_string(remote).c_str(), key,
      static_cast<unsigned long long>(counters_.no_tunnel.load(std::memory_order_relaxed)));
}

template <class Decapped, class Enqueue>
void UnderlayEndpoint::poll_gre(int r, Decapped& decapped, Enqueue& enqueue) {
  // GRE has no UDP GRO: runs of one (remote, key) in the burst are decapsulated, then pieces of
  // one inner TCP stream joined in software (vxlan_gro.hpp), so the container's veth gets one
  // super-frame instead of up to 32 segments.
  rte_mbuf* frames[sw::kBurst];
  GroPacket got[sw::kBurst];
  unsigned nf = 0;
  Remote run_remote{};
  uint32_t run_key = 0;
  auto flush = [&] {
    unsigned k = 1;
    if (nf >= 2)
      k = tcp_join_frames(frames, nf, pool_, large_, got);
    else if (nf == 1)
      got[0] = {frames[0], 0, 0};
    else
      k = 0;
    for (unsigned j = 0; j < k; ++j) {
      if (got[j].mss) counters_.rx_joined.fetch_add(1, std::memory_order_relaxed);
      enqueue(got[j].m, run_remote, run_key, got[j].mss ? &got[j] : nullptr);
    }
    nf = 0;
  };
  for (int i = 0; i < r; ++i) {
    RxSlot& slot = rx_[i];
    const Remote remote = remote_from(slot.from);
    const uint32_t len = rx_msgs_[i].msg_len;
    if (__builtin_expect((rx_msgs_[i].msg_hdr.msg_flags & MSG_TRUNC) || len == 0, 0)) {
      counters_.malformed.fetch_add(1, std::memory_order_relaxed);
      counters_.rx_packets.fetch_add(1, std::memory_order_relaxed);
      if (auto* s = stats_for_remote(remote)) s->add_drop(sw::DropReason::kTunnelMalformed, 1);
      continue;  // the slot keeps its mbufs
    }
    rte_mbuf* m = ports::chain_received(slot.segs.data(), slot.iov.data(), len);
    uint32_t key = 0;
    if (!decapped(m, remote, key)) continue;
    if (nf > 0 && (key != run_key || remote != run_remote)) flush();
    run_remote = remote;
    run_key = key;
    frames[nf++] = m;
  }
  flush();
}

unsigned UnderlayEndpoint::poll(unsigned) {
  std::unique_lock lock(mutex_, std::try_to_lock);
  if (!lock.owns_lock()) return 0;
  if (__builtin_expect(!stock_slots(), 0)) {
    counters_.rx_no_mbuf.fetch_add(1, std::memory_order_relaxed);
    return 0;
  }
  for (unsigned i = 0; i < sw::kBurst; ++i) {
    msghdr& h = rx_msgs_[i].msg_hdr;
    h.msg_namelen = sizeof(sockaddr_storage);
    h.msg_flags = 0;
    h.msg_control = gro_ ? rx_[i].control : nullptr;
    h.msg_controllen = gro_ ? sizeof(rx_[i].control) : 0;
  }
  const int r = recvmmsg(rx_fd_, rx_msgs_.data(), sw::kBurst, MSG_DONTWAIT, nullptr);
  if (r <= 0) return 0;
  uint64_t malformed = 0, unknown = 0, full = 0, packets = 0;
  // One tunnel packet: decapsulated and queued to its port's ring, or dropped and counted.
  auto decapped = [&](rte_mbuf* m, const Remote& remote, uint32_t& key) {
    ++packets;
    if (__builtin_expect(decap(key_.kind, m, key) != DecapStatus::kOk, 0)) {
      ++malformed;
      if (auto* s = stats_for_remote(remote)) s->add_drop(sw::DropReason::kTunnelMalformed, 1);
      rte_pktmbuf_free(m);
      return false;
    }
    return true;
  };
  auto enqueue = [&](rte_mbuf* m, const Remote& remote, uint32_t key, const GroPacket* joined) {
    auto it = flows_.find(FlowKey{remote, key});
    if (__builtin_expect(it == flows_.end(), 0)) {
      ++unknown;
      if (auto* s = stats_for_remote(remote)) s->add_drop(sw::DropReason::kNoTunnel, 1);
      note_unknown(remote, key);
      rte_pktmbuf_free(m);
      return;
    }
    if (joined != nullptr) {
      mark_joined(m, *joined);
      counters_.rx_joined.fetch_add(1, std::memory_order_relaxed);
    }
    if (__builtin_expect(rte_ring_sp_enqueue(it->second.ring, m) != 0, 0)) {
      ++full;
      it->second.stats->add_drop(sw::DropReason::kNoBuffer, 1);
      rte_pktmbuf_free(m);
    }
  };
  auto deliver = [&](rte_mbuf* m, const Remote& remote, const GroPacket* joined) {
    uint32_t key = 0;
    if (decapped(m, remote, key)) enqueue(m, remote, key, joined);
  };
  if (key_.kind == TunnelKind::kGre) {
    poll_gre(r, decapped, enqueue);
  } else {
    for (int i = 0; i < r; ++i) {
      RxSlot& slot = rx_[i];
      const Remote remote = remote_from(slot.from);
      const uint32_t len = rx_msgs_[i].msg_len;
      if (__builtin_expect((rx_msgs_[i].msg_hdr.msg_flags & MSG_TRUNC) || len == 0, 0)) {
        ++malformed;  // the slot keeps its mbufs
        ++packets;
        if (auto* s = stats_for_remote(remote))
          s->add_drop(sw::DropReason::kTunnelMalformed, 1);
        continue;
      }
      rte_mbuf* m = ports::chain_received(slot.segs.data(), slot.iov.data(), len);
      uint16_t gso_size = 0;
      if (gro_)
        for (cmsghdr* c = CMSG_FIRSTHDR(&rx_msgs_[i].msg_hdr); c != nullptr;
             c = CMSG_NXTHDR(&rx_msgs_[i].msg_hdr, c))
          if (c->cmsg_level == SOL_UDP && c->cmsg_type == UDP_GRO) {
            int v = 0;
            std::memcpy(&v, CMSG_DATA(c), sizeof(v));
            gso_size = static_cast<uint16_t>(v);
          }
      if (gso_size == 0 || len <= gso_size) {
        deliver(m, remote, nullptr);
        continue;
      }
      // Several datagrams in one buffer (vxlan_gro.hpp): joined into one inner super-frame when
      // they are pieces of one TCP stream, else one packet each.
      GroPacket got[64];
      uint64_t lost = 0;
      const unsigned k = vxlan_gro_receive(m, gso_size, pool_, large_, got, 64, lost);
      if (lost) {
        counters_.rx_no_mbuf.fetch_add(1, std::memory_order_relaxed);
        if (auto* s = stats_for_remote(remote)) s->add_drop(sw::DropReason::kNoBuffer, lost);
      }
      for (unsigned j = 0; j < k; ++j) deliver(got[j].m, remote, got[j].mss ? &got[j] : nullptr);
    }
  }
  counters_.rx_packets.fetch_add(packets, std::memory_order_relaxed);
  if (malformed) counters_.malformed.fetch_add(malformed, std::memory_order_relaxed);
  if (unknown) counters_.no_tunnel.fetch_add(unknown, std::memory_order_relaxed);
  if (full) counters_.ring_full.fetch_add(full, std::memory_order_relaxed);
  return static_cast<unsigned>(r);
}

}  // namespace lvs::tunnels
