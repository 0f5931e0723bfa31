#include "tunnels/tunnel_receiver.hpp"

#include <arpa/inet.h>
#include <netinet/udp.h>
#include <rte_cycles.h>
#include <rte_ip.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "ports/socket_options.hpp"
#include "tunnels/gre_header.hpp"
#include "tunnels/large_frame_pool.hpp"
#include "tunnels/shared_registry.hpp"
#include "tunnels/vxlan_gro.hpp"
#include "tunnels/vxlan_header.hpp"

namespace lvs::tunnels {
namespace {

constexpr int kRcvBuf = 8 << 20;

using ports::set_int;

// The sender of a received packet.
TunnelReceiver::Addr remote_from(const sockaddr_storage& from) {
  TunnelReceiver::Addr r{};
  if (from.ss_family == AF_INET6)
    std::memcpy(r.data(), &reinterpret_cast<const sockaddr_in6&>(from).sin6_addr, 16);
  else
    std::memcpy(r.data(), &reinterpret_cast<const sockaddr_in&>(from).sin_addr, 4);
  return r;
}

// A raw IPv4 packet's destination (GRE): the local address it was sent to; zero when cut short.
TunnelReceiver::Addr local_from_ip(const void* p, uint32_t len) {
  TunnelReceiver::Addr a{};
  if (len >= 20) std::memcpy(a.data(), static_cast<const uint8_t*>(p) + 16, 4);
  return a;
}

// A UDP buffer's control messages (VXLAN): the destination address (IP_PKTINFO / IPV6_PKTINFO)
// and UDP_GRO's segment size (0 without one).
void read_control(msghdr& h, TunnelReceiver::Addr& local, uint16_t& gso_size) {
  for (cmsghdr* c = CMSG_FIRSTHDR(&h); c != nullptr; c = CMSG_NXTHDR(&h, c)) {
    if (c->cmsg_level == SOL_UDP && c->cmsg_type == UDP_GRO) {
      int v = 0;
      std::memcpy(&v, CMSG_DATA(c), sizeof(v));
      gso_size = static_cast<uint16_t>(v);
    } else if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
      in_pktinfo pi;
      std::memcpy(&pi, CMSG_DATA(c), sizeof(pi));
      std::memcpy(local.data(), &pi.ipi_addr, 4);  // the header's destination, not ipi_spec_dst
    } else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
      in6_pktinfo pi;
      std::memcpy(&pi, CMSG_DATA(c), sizeof(pi));
      std::memcpy(local.data(), &pi.ipi6_addr, 16);
    }
  }
}

bool is_any(const TunnelReceiver::Addr& a) { return a == TunnelReceiver::Addr{}; }

SharedRegistry<TunnelReceiver::Key, TunnelReceiver>& registry() {
  static SharedRegistry<TunnelReceiver::Key, TunnelReceiver> r;
  return r;
}

}  // namespace

std::shared_ptr<TunnelReceiver> TunnelReceiver::acquire(const Key& wanted, rte_mempool* pool,
                                                        std::string& error) {
  Key key = wanted;
  key.netns = thread_netns();
  return registry().acquire(key, [&]() -> std::shared_ptr<TunnelReceiver> {
    if (pool == nullptr) {
      error = "no mempool for the tunnel receiver";
      return nullptr;
    }
    auto rx = std::shared_ptr<TunnelReceiver>(new TunnelReceiver(key, pool));
    return rx->open_socket(error) ? rx : nullptr;
  });
}

TunnelReceiver::TunnelReceiver(const Key& key, rte_mempool* pool)
    : key_(key), pool_(pool), rx_(sw::kBurst) {}

TunnelReceiver::~TunnelReceiver() {
  if (fd_ >= 0) close(fd_);
  for (RxSlot& s : rx_)
    for (rte_mbuf*& m : s.segs)
      if (m != nullptr) rte_pktmbuf_free(m);
}

bool TunnelReceiver::open_socket(std::string& error) {
  auto fail = [&](const std::string& what) {
    error = describe() + ": " + what + ": " + std::strerror(errno);
    return false;
  };
  const int af = key_.v6 ? AF_INET6 : AF_INET;
  if (key_.kind == TunnelKind::kVxlan) {
    fd_ = socket(af, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd_ < 0) return fail("UDP socket");
    // IPv6 only: an IPv4 receiver may hold the same port on 0.0.0.0.
    if (key_.v6 && !set_int(fd_, IPPROTO_IPV6, IPV6_V6ONLY, 1)) return fail("IPV6_V6ONLY");
    sockaddr_storage at{};
    socklen_t at_len;
    if (key_.v6) {
      auto& a = reinterpret_cast<sockaddr_in6&>(at);
      a.sin6_family = AF_INET6;
      a.sin6_port = htons(key_.port);
      at_len = sizeof(a);
    } else {
      auto& a = reinterpret_cast<sockaddr_in&>(at);
      a.sin_family = AF_INET;
      a.sin_port = htons(key_.port);
      at_len = sizeof(a);
    }
    if (bind(fd_, reinterpret_cast<sockaddr*>(&at), at_len) != 0)
      return fail("bind UDP port " + std::to_string(key_.port));
    // Which local address each buffer was sent to: the ports' local_ip select by it.
    const bool pktinfo = key_.v6 ? set_int(fd_, IPPROTO_IPV6, IPV6_RECVPKTINFO, 1)
                                 : set_int(fd_, IPPROTO_IP, IP_PKTINFO, 1);
    if (!pktinfo) return fail("IP_PKTINFO");
    // Let the kernel hand over runs of datagrams of one flow at once (vxlan_gro.hpp).
    gro_ = set_int(fd_, SOL_UDP, UDP_GRO, 1);
  } else {
    // Unbound: it sees GRE to every local address; the IP header says which.
    fd_ = socket(af, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, kIpProtoGre);
    if (fd_ < 0) return fail("raw GRE socket");
  }
  ports::set_rcvbuf(fd_, kRcvBuf);
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

std::string TunnelReceiver::describe() const {
  std::string s = key_.kind == TunnelKind::kVxlan ? "vxlan " : "gre ";
  s += key_.v6 ? "[::]" : "*";
  if (key_.kind == TunnelKind::kVxlan) s += ":" + std::to_string(key_.port);
  return s;
}

std::string TunnelReceiver::addr_string(const Addr& a) const {
  if (is_any(a)) return "*";
  if (key_.v6) return ipv6_to_string(a);
  uint32_t v;
  std::memcpy(&v, a.data(), 4);
  return ipv4_to_string(v);
}

bool TunnelReceiver::attach(const std::string& port, const Addr& remote, const Addr& local,
                            uint32_t key, rte_ring* ring, sw::PortStats* stats,
                            std::string& error) {
  std::lock_guard lock(mutex_);
  if (auto [it, fresh] = flows_.emplace(FlowKey{remote, local, key}, Flow{ring, stats, port});
      !fresh) {
    error = describe() + ": port " + it->second.port + " already receives remote_ip " +
            addr_string(remote) + ", local_ip " + addr_string(local) + ", key " +
            std::to_string(key);
    return false;
  }
  if (!is_any(local)) ++exact_flows_;
  peers_.emplace(Peer{remote, local}, stats);
  return true;
}

void TunnelReceiver::detach(const Addr& remote, const Addr& local, uint32_t key) {
  std::lock_guard lock(mutex_);
  if (flows_.erase(FlowKey{remote, local, key}) != 0 && !is_any(local)) --exact_flows_;
  peers_.erase(Peer{remote, local});
  for (const auto& [k, f] : flows_)  // another port of that (remote, local) takes over counting
    if (k.remote == remote && k.local == local) peers_.emplace(Peer{remote, local}, f.stats);
}

const TunnelReceiver::Flow* TunnelReceiver::find_flow(const Addr& remote, const Addr& local,
                                                      uint32_t key) const {
  if (exact_flows_ != 0 && !is_any(local))
    if (auto it = flows_.find(FlowKey{remote, local, key}); it != flows_.end()) return &it->second;
  auto it = flows_.find(FlowKey{remote, Addr{}, key});
  return it == flows_.end() ? nullptr : &it->second;
}

sw::PortStats* TunnelReceiver::stats_for(const Addr& remote, const Addr& local) const {
  if (!is_any(local))
    if (auto it = peers_.find(Peer{remote, local}); it != peers_.end()) return it->second;
  auto it = peers_.find(Peer{remote, Addr{}});
  return it == peers_.end() ? nullptr : it->second;
}

EndpointCounters TunnelReceiver::counters() const {
  EndpointCounters c;
  c.rx_packets = counters_.rx_packets.load(std::memory_order_relaxed);
  c.malformed = counters_.malformed.load(std::memory_order_relaxed);
  c.no_tunnel = counters_.no_tunnel.load(std::memory_order_relaxed);
  c.ring_full = counters_.ring_full.load(std::memory_order_relaxed);
  c.rx_no_mbuf = counters_.rx_no_mbuf.load(std::memory_order_relaxed);
  c.rx_joined = counters_.rx_joined.load(std::memory_order_relaxed);
  return c;
}
bool TunnelReceiver::stock_slots() {
  // A receive consumes a prefix of a slot's segments: a slot is full when its head is there.
  for (unsigned i = 0; i < sw::kBurst; ++i)
    if (rx_[i].segs[0] == nullptr && !stock_slot(rx_[i], rx_msgs_[i])) return false;
  return true;
}

bool TunnelReceiver::stock_slot(RxSlot& s, mmsghdr& msg) {
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

DecapStatus TunnelReceiver::decap(TunnelKind kind, rte_mbuf* m, uint32_t& key) {
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

void TunnelReceiver::note_unknown(const Addr& remote, const Addr& local, uint32_t key) {
  // At most one line per 10 s: the counters tell how many, the line tells from where.
  const uint64_t now = rte_rdtsc();
  if (last_log_tsc_ != 0 && now - last_log_tsc_ < 10 * rte_get_tsc_hz()) return;
  last_log_tsc_ = now;
  std::fprintf(
      stderr,
      "tunnel receiver %s: dropped packets for no tunnel port (last: remote %s local %s "
      "key %u; %llu so far)\n",
      describe().c_str(), addr_string(remote).c_str(), addr_string(local).c_str(), key,
      static_cast<unsigned long long>(counters_.no_tunnel.load(std::memory_order_relaxed)));
}

template <class Decapped, class Enqueue>
void TunnelReceiver::poll_gre(int r, Decapped& decapped, Enqueue& enqueue) {
  // GRE has no UDP GRO: runs of one (remote, local, key) in the burst are decapsulated, then
  // pieces of one inner TCP stream joined in software (vxlan_gro.hpp), so the container's veth
  // gets one super-frame instead of up to 32 segments.
  rte_mbuf* frames[sw::kBurst];
  GroPacket got[sw::kBurst];
  unsigned nf = 0;
  Addr run_remote{}, run_local{};
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
      enqueue(got[j].m, run_remote, run_local, run_key, got[j].mss ? &got[j] : nullptr);
    }
    nf = 0;
  };
  for (int i = 0; i < r; ++i) {
    RxSlot& slot = rx_[i];
    const Addr remote = remote_from(slot.from);
    const uint32_t len = rx_msgs_[i].msg_len;
    // Raw IPv4 sockets receive the IP header: its destination is the local address.
    const Addr local =
        local_from_ip(slot.iov[0].iov_base, std::min<uint32_t>(len, slot.iov[0].iov_len));
    if (__builtin_expect((rx_msgs_[i].msg_hdr.msg_flags & MSG_TRUNC) || len == 0, 0)) {
      counters_.malformed.fetch_add(1, std::memory_order_relaxed);
      counters_.rx_packets.fetch_add(1, std::memory_order_relaxed);
      if (auto* s = stats_for(remote, local)) s->add_drop(sw::DropReason::kTunnelMalformed, 1);
      continue;  // the slot keeps its mbufs
    }
    rte_mbuf* m = ports::chain_received(slot.segs.data(), slot.iov.data(), len);
    uint32_t key = 0;
    if (!decapped(m, remote, local, key)) continue;
    if (nf > 0 && (key != run_key || remote != run_remote || local != run_local)) flush();
    run_remote = remote;
    run_local = local;
    run_key = key;
    frames[nf++] = m;
  }
  flush();
}

unsigned TunnelReceiver::poll(unsigned) {
  std::unique_lock lock(mutex_, std::try_to_lock);
  if (!lock.owns_lock()) return 0;
  if (__builtin_expect(!stock_slots(), 0)) {
    counters_.rx_no_mbuf.fetch_add(1, std::memory_order_relaxed);
    return 0;
  }
  const bool control = key_.kind == TunnelKind::kVxlan;  // PKTINFO (and UDP_GRO)
  for (unsigned i = 0; i < sw::kBurst; ++i) {
    msghdr& h = rx_msgs_[i].msg_hdr;
    h.msg_namelen = sizeof(sockaddr_storage);
    h.msg_flags = 0;
    h.msg_control = control ? rx_[i].control : nullptr;
    h.msg_controllen = control ? sizeof(rx_[i].control) : 0;
  }
  const int r = recvmmsg(fd_, rx_msgs_.data(), sw::kBurst, MSG_DONTWAIT, nullptr);
  if (r <= 0) return 0;
  uint64_t malformed = 0, unknown = 0, full = 0, packets = 0;
  // One tunnel packet: decapsulated and queued to its port's ring, or dropped and counted.
  auto decapped = [&](rte_mbuf* m, const Addr& remote, const Addr& local, uint32_t& key) {
    ++packets;
    if (__builtin_expect(decap(key_.kind, m, key) != DecapStatus::kOk, 0)) {
      ++malformed;
      if (auto* s = stats_for(remote, local)) s->add_drop(sw::DropReason::kTunnelMalformed, 1);
      rte_pktmbuf_free(m);
      return false;
    }
    return true;
  };
  auto enqueue = [&](rte_mbuf* m, const Addr& remote, const Addr& local, uint32_t key,
                     const GroPacket* joined) {
    const Flow* f = find_flow(remote, local, key);
    if (__builtin_expect(f == nullptr, 0)) {
      ++unknown;
      if (auto* s = stats_for(remote, local)) s->add_drop(sw::DropReason::kNoTunnel, 1);
      note_unknown(remote, local, key);
      rte_pktmbuf_free(m);
      return;
    }
    if (joined != nullptr) {
      mark_joined(m, *joined);
      counters_.rx_joined.fetch_add(1, std::memory_order_relaxed);
    }
    if (__builtin_expect(rte_ring_sp_enqueue(f->ring, m) != 0, 0)) {
      ++full;
      f->stats->add_drop(sw::DropReason::kNoBuffer, 1);
      rte_pktmbuf_free(m);
    }
  };
  auto deliver = [&](rte_mbuf* m, const Addr& remote, const Addr& local, const GroPacket* joined) {
    uint32_t key = 0;
    if (decapped(m, remote, local, key)) enqueue(m, remote, local, key, joined);
  };
  if (key_.kind == TunnelKind::kGre) {
    poll_gre(r, decapped, enqueue);
  } else {
    for (int i = 0; i < r; ++i) {
      RxSlot& slot = rx_[i];
      const Addr remote = remote_from(slot.from);
      const uint32_t len = rx_msgs_[i].msg_len;
      Addr local{};
      uint16_t gso_size = 0;
      read_control(rx_msgs_[i].msg_hdr, local, gso_size);
      if (__builtin_expect((rx_msgs_[i].msg_hdr.msg_flags & MSG_TRUNC) || len == 0, 0)) {
        ++malformed;  // the slot keeps its mbufs
        ++packets;
        if (auto* s = stats_for(remote, local)) s->add_drop(sw::DropReason::kTunnelMalformed, 1);
        continue;
      }
      rte_mbuf* m = ports::chain_received(slot.segs.data(), slot.iov.data(), len);
      if (!gro_ || gso_size == 0 || len <= gso_size) {
        deliver(m, remote, local, nullptr);
        continue;
      }
      // Several datagrams in one buffer (vxlan_gro.hpp): joined into one inner super-frame when
      // they are pieces of one TCP stream, else one packet each.
      GroPacket got[64];
      uint64_t lost = 0;
      const unsigned k = vxlan_gro_receive(m, gso_size, pool_, large_, got, 64, lost);
      if (lost) {
        counters_.rx_no_mbuf.fetch_add(1, std::memory_order_relaxed);
        if (auto* s = stats_for(remote, local)) s->add_drop(sw::DropReason::kNoBuffer, lost);
      }
      for (unsigned j = 0; j < k; ++j)
        deliver(got[j].m, remote, local, got[j].mss ? &got[j] : nullptr);
    }
  }
  counters_.rx_packets.fetch_add(packets, std::memory_order_relaxed);
  if (malformed) counters_.malformed.fetch_add(malformed, std::memory_order_relaxed);
  if (unknown) counters_.no_tunnel.fetch_add(unknown, std::memory_order_relaxed);
  if (full) counters_.ring_full.fetch_add(full, std::memory_order_relaxed);
  return static_cast<unsigned>(r);
}

}  // namespace lvs::tunnels
