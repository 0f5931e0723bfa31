#include "ports/afpacket_port.hpp"

#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <net/if.h>
#include <sched.h>
#include <linux/filter.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <rte_log.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "ports/gso_split.hpp"
#include "ports/kernel_netdev.hpp"
#include "ports/large_rx_pool.hpp"
#include "ports/packet_vlan_tag.hpp"
#include "ports/socket_options.hpp"

namespace lvs::ports {
namespace {

constexpr int kSndBuf = 4 << 20;

bool vanished(int err) { return err == ENXIO || err == ENODEV; }

// The PACKET_AUXDATA of a received frame, or null when the kernel sent none.
const tpacket_auxdata* find_auxdata(const msghdr& msg, tpacket_auxdata& aux) {
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr;
       c = CMSG_NXTHDR(const_cast<msghdr*>(&msg), c)) {
    if (c->cmsg_level != SOL_PACKET || c->cmsg_type != PACKET_AUXDATA) continue;
    std::memcpy(&aux, CMSG_DATA(c), sizeof(aux));
    return &aux;
  }
  return nullptr;
}

}  // namespace

std::shared_ptr<AfPacketPort> AfPacketPort::open(const std::string& name, const std::string& ifname,
                                                 rte_mempool* pool, std::string& error,
                                                 const AfPacketOptions& options) {
  const int ifindex = static_cast<int>(if_nametoindex(ifname.c_str()));
  if (ifindex == 0) {
    error = "no interface named '" + ifname + "'";
    return nullptr;
  }
  if (pool == nullptr) {
    error = "no mempool for port " + name;
    return nullptr;
  }
  // Protocol 0 until bind(): the socket queues nothing from other interfaces meanwhile.
  const int fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    error = std::string("AF_PACKET socket: ") + std::strerror(errno);
    return nullptr;
  }
  auto fail_early = [&](const char* what) {
    error = std::string(what) + " on " + ifname + ": " + std::strerror(errno);
    close(fd);
    return nullptr;
  };
  if (!set_int(fd, SOL_PACKET, PACKET_VNET_HDR, 1)) return fail_early("PACKET_VNET_HDR");
  if (!set_int(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, 1))
    return fail_early("PACKET_IGNORE_OUTGOING");
  if (!set_int(fd, SOL_PACKET, PACKET_AUXDATA, 1)) return fail_early("PACKET_AUXDATA");
  // Straight to the driver: veths have no qdisc anyway, NICs would only add latency.
  if (options.qdisc_bypass) set_int(fd, SOL_PACKET, PACKET_QDISC_BYPASS, 1);
  if (options.busy_poll_us > 0) set_int(fd, SOL_SOCKET, SO_BUSY_POLL, options.busy_poll_us);
  set_rcvbuf(fd, options.rcvbuf);
  set_sndbuf(fd, kSndBuf);
  if (options.tx_mark != 0 && !set_int(fd, SOL_SOCKET, SO_MARK, static_cast<int>(options.tx_mark)))
    return fail_early("SO_MARK");
  if (options.rx_mark != 0) {
    // Classic BPF: accept (whole frame) when skb->mark == rx_mark, else drop.
    sock_filter code[] = {
        {BPF_LD | BPF_W | BPF_ABS, 0, 0, static_cast<uint32_t>(SKF_AD_OFF + SKF_AD_MARK)},
        {BPF_JMP | BPF_JEQ | BPF_K, 0, 1, options.rx_mark},
        {BPF_RET | BPF_K, 0, 0, 0xffffffffu},
        {BPF_RET | BPF_K, 0, 0, 0},
    };
    sock_fprog prog{.len = sizeof(code) / sizeof(code[0]), .filter = code};
    if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog)) != 0)
      return fail_early("SO_ATTACH_FILTER");
  }
  const unsigned segs = segments_per_frame(pool);
  if (segs == 0) {
    error = "mbufs of the pool are too small for 64 KiB frames";
    close(fd);
    return nullptr;
  }
  auto port = std::shared_ptr<AfPacketPort>(new AfPacketPort(name, ifname, fd, ifindex, pool));
  // The ring goes on before bind(): no frame may be queued outside it.
  if (std::string why; options.rx_ring && !port->ring_.attach(fd, kRingFrames, why))
    RTE_LOG(WARNING, USER1, "port %s: no receive ring on %s (%s): receiving with recvmmsg\n",
            name.c_str(), ifname.c_str(), why.c_str());
  auto fail = [&](const char* what) {
    error = std::string(what) + " on " + ifname + ": " + std::strerror(errno);
    return nullptr;  // the port closes the socket
  };
  sockaddr_ll sll{};
  sll.sll_family = AF_PACKET;
  sll.sll_protocol = htons(ETH_P_ALL);
  sll.sll_ifindex = ifindex;
  if (bind(fd, reinterpret_cast<sockaddr*>(&sll), sizeof(sll)) != 0) return fail("bind");
  // A bridge port sees every destination; the kernel drops promiscuity when the socket closes.
  packet_mreq mr{};
  mr.mr_ifindex = ifindex;
  mr.mr_type = PACKET_MR_PROMISC;
  if (setsockopt(fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr, sizeof(mr)) != 0)
    return fail("PACKET_MR_PROMISC");

  port->segs_per_slot_ = segs;
  if (segs > 2) port->large_ = afpacket_large_pool();
  port->refresh_max_frame_len();
  // Set on the host end by vsattach / CNI / Docker with the container end's (ctl/link_ops.hpp).
  if (const NetdevLinkInfo li = netdev_link_info(ifindex);
      li.gso_size_of(GsoFamily::kIpv4) > 65536 || li.gso_size_of(GsoFamily::kIpv6) > 65536)
    port->expect_big_frames();
  for (unsigned i = 0; i < sw::kBurst; ++i) {
    port->rx_msgs_[i].msg_hdr.msg_iov = port->rx_[i].iov.data();
    port->rx_msgs_[i].msg_hdr.msg_iovlen = 1 + port->segs_per_slot_;
    port->rx_msgs_[i].msg_hdr.msg_control = port->rx_[i].control.data();
  }
  return port;
}

AfPacketPort::AfPacketPort(std::string name, std::string ifname, int fd, int ifindex,
                           rte_mempool* pool)
    : Port(std::move(name)),
      ifname_(std::move(ifname)),
      fd_(fd),
      ifindex_(ifindex),
      pool_(pool),
      segs_per_slot_(1),
      rx_(sw::kBurst),
      tx_(sw::kBurst) {
  for (unsigned i = 0; i < sw::kBurst; ++i) {
    rx_[i].iov[0] = {&rx_[i].vnet, sizeof(VnetHeader)};
    tx_[i].iov[0] = {&tx_[i].vnet, sizeof(VnetHeader)};
    tx_msgs_[i].msg_hdr.msg_iov = tx_[i].iov.data();
  }
}

void AfPacketPort::refresh_max_frame_len() {
  ifreq ifr{};
  std::strncpy(ifr.ifr_name, ifname_.c_str(), IFNAMSIZ - 1);
  // The kernel takes MTU + Ethernet header + one VLAN tag on a raw packet socket.
  if (ioctl(fd_, SIOCGIFMTU, &ifr) == 0 && ifr.ifr_mtu > 0)
    set_max_frame_len(static_cast<uint32_t>(ifr.ifr_mtu) + 18);
}

AfPacketPort::~AfPacketPort() {
  close(fd_);
  release_buffers();
}

void AfPacketPort::release_buffers() {
  if (spill_n_ > spill_at_) rte_pktmbuf_free_bulk(&spill_[spill_at_], spill_n_ - spill_at_);
  spill_n_ = spill_at_ = 0;
  for (RxSlot& s : rx_)
    for (rte_mbuf*& m : s.segs)
      if (m != nullptr) {
        rte_pktmbuf_free(m);
        m = nullptr;
      }
}

// Tails of large_ slot `slot` still lacks for a layout of `tails` of them (all of them when it
// has another layout).
static unsigned tails_missing(const std::array<rte_mbuf*, kMaxFrameSegs>& segs, bool large, unsigned tails) {
  if (!large) return tails;
  unsigned missing = 0;
  for (unsigned s = 1; s <= tails; ++s) missing += segs[s] == nullptr;
  return missing;
}

bool AfPacketPort::stock_slots(uint16_t n) {
  // One bulk get for the tails the slots lack (one per slot, kBigTails in big mode); one by one
  // when the pool is short. A slot that cannot have all of its tails takes 2 KiB spares instead.
  const unsigned tails = big_.load(std::memory_order_relaxed) ? kBigTails : 1;
  rte_mbuf* bigs[sw::kBurst * kBigTails];
  unsigned nbig = 0, used = 0;
  if (large_ != nullptr) {
    for (uint16_t i = 0; i < n; ++i) nbig += tails_missing(rx_[i].segs, rx_[i].large, tails);
    if (nbig && rte_pktmbuf_alloc_bulk(large_, bigs, nbig) != 0) nbig = 0;
  }
  unsigned missing = 0;
  for (uint16_t i = 0; i < n; ++i) {
    RxSlot& slot = rx_[i];
    const unsigned want = large_ != nullptr ? tails_missing(slot.segs, slot.large, tails) : 0;
    if (want > 0) {
      rte_mbuf* got[kBigTails];
      unsigned g = 0;
      while (g < want) {
        rte_mbuf* big = used < nbig ? bigs[used++] : rte_pktmbuf_alloc(large_);
        if (big == nullptr) break;
        got[g++] = big;
      }
      if (g == want) {
        if (!slot.large)  // spares of the other layout go back
          for (unsigned s = 1; s < slot.nsegs; ++s)
            if (slot.segs[s] != nullptr) {
              rte_pktmbuf_free(slot.segs[s]);
              slot.segs[s] = nullptr;
            }
        for (unsigned s = 1, k = 0; s <= tails; ++s)
          if (slot.segs[s] == nullptr) {
            slot.segs[s] = got[k++];
            arm_segment(slot.segs[s], s, slot.iov[1 + s]);
          }
        slot.nsegs = static_cast<uint8_t>(1 + tails);
        slot.large = true;
      } else {
        if (g) rte_pktmbuf_free_bulk(got, g);
        if (slot.large || slot.nsegs == 0) {  // what tails it has serve as spares
          slot.large = false;
          slot.nsegs = static_cast<uint8_t>(segs_per_slot_);
        }
      }
      rx_msgs_[i].msg_hdr.msg_iovlen = 1 + slot.nsegs;
    } else if (slot.nsegs == 0) {
      slot.nsegs = static_cast<uint8_t>(segs_per_slot_);
      rx_msgs_[i].msg_hdr.msg_iovlen = 1 + slot.nsegs;
    }
    for (unsigned s = 0; s < slot.nsegs; ++s) missing += slot.segs[s] == nullptr;
  }
  if (used < nbig) rte_pktmbuf_free_bulk(bigs + used, nbig - used);
  if (missing == 0) return true;  // idle: nothing was received last time
  rte_mbuf* fresh[sw::kBurst * kMaxSegs];
  if (rte_pktmbuf_alloc_bulk(pool_, fresh, missing) != 0) return false;
  unsigned k = 0;
  for (uint16_t i = 0; i < n; ++i) {
    RxSlot& slot = rx_[i];
    for (unsigned s = 0; s < slot.nsegs; ++s) {
      if (slot.segs[s] != nullptr) continue;
      slot.segs[s] = fresh[k++];
      arm_segment(slot.segs[s], s, slot.iov[1 + s]);
    }
  }
  return true;
}

void AfPacketPort::enter_big_mode() {
  if (big_.load(std::memory_order_relaxed) || large_ == nullptr) return;
  big_.store(true, std::memory_order_relaxed);
  RTE_LOG(WARNING, USER1,
          "port %s: %s sent a frame over 64 KiB (BIG TCP without a GSO size above it on this end): "
          "one frame lost, receiving up to %u bytes from now on\n",
          name().c_str(), ifname_.c_str(), kMaxBigKernelFrame);
}

uint16_t AfPacketPort::deliver(rte_mbuf* m, rte_mbuf** pkts, uint16_t out, uint16_t n,
                               VnetRxTally& tally) {
  if (__builtin_expect(m->pkt_len <= kMaxKernelFrame, 1)) {
    if (__builtin_expect(out < n, 1))
      pkts[out++] = m;
    else
      spill_[spill_n_++] = m;  // behind the pieces of a BIG TCP frame of this burst
    return out;
  }
  rte_mbuf* pieces[kMaxBigPieces];
  const unsigned k = split_big_gso(m, pool_, pieces, kMaxBigPieces);
  if (k == 0) {  // not TCP GSO, or no mbufs for the pieces
    rte_pktmbuf_free(m);
    ++tally.invalid;
    return out;
  }
  counters_.rx_big.fetch_add(1, std::memory_order_relaxed);
  for (unsigned j = 0; j < k; ++j)
    if (out < n)
      pkts[out++] = pieces[j];
    else
      spill_[spill_n_++] = pieces[j];  // at most kMaxBigPieces per slot: room for all
  return out;
}

void AfPacketPort::release_slots(uint16_t from) {
  rte_mbuf* back[sw::kBurst * kMaxSegs];
  unsigned k = 0;
  for (uint16_t i = from; i < sw::kBurst; ++i)
    for (unsigned s = 0; s < rx_[i].nsegs; ++s)
      if (rx_[i].segs[s] != nullptr) {
        back[k++] = rx_[i].segs[s];
        rx_[i].segs[s] = nullptr;
      }
  if (k) rte_pktmbuf_free_bulk(back, k);
}

void AfPacketPort::fail(int err) {
  errno_.store(err, std::memory_order_relaxed);
  dead_.store(true, std::memory_order_relaxed);
}

int AfPacketPort::receive_into_slots(uint16_t n) {
  for (uint16_t i = 0; i < n; ++i) {
    rx_msgs_[i].msg_hdr.msg_controllen = rx_[i].control.size();
    rx_msgs_[i].msg_hdr.msg_flags = 0;
  }
  const int r = recvmmsg(fd_, rx_msgs_.data(), n, MSG_DONTWAIT, nullptr);
  if (r < 0 && errno != EAGAIN) {
    const int err = errno;
    // ENETDOWN is also what a link going down reports: only a missing index means gone.
    if (vanished(err) || (err == ENETDOWN && !netdev_exists(ifindex_)))
      fail(vanished(err) ? err : ENODEV);
  }
  return r;
}

rte_mbuf* AfPacketPort::take_slot(uint16_t i, VnetRxTally& tally) {
  const msghdr& msg = rx_msgs_[i].msg_hdr;
  const uint32_t len = rx_msgs_[i].msg_len;
  if (__builtin_expect((msg.msg_flags & MSG_TRUNC) || len < sizeof(VnetHeader) + 14, 0)) {
    ++tally.invalid;  // the slot keeps its mbufs for the next burst
    // Longer than a 64 KiB slot holds: the peer sends BIG TCP frames; the next slots hold them.
    if ((msg.msg_flags & MSG_TRUNC) && rx_[i].large) enter_big_mode();
    return nullptr;
  }
  RxSlot& slot = rx_[i];
  rte_mbuf* m = chain_received(slot.segs.data(), &slot.iov[1], len - sizeof(VnetHeader));
  VnetHeader vnet = slot.vnet;
  tpacket_auxdata aux;
  if (__builtin_expect(msg.msg_controllen > 0, 1))
    if (const tpacket_auxdata* a = find_auxdata(msg, aux))
      reinsert_vlan_tag(m, a->tp_status, a->tp_vlan_tpid, a->tp_vlan_tci, vnet);
  if (!tally.add(vnet_to_mbuf(vnet, m))) {
    rte_pktmbuf_free(m);
    return nullptr;
  }
  return m;
}

void AfPacketPort::count(const VnetRxTally& tally) {
  if (tally.gso) counters_.rx_gso.fetch_add(tally.gso, std::memory_order_relaxed);
  if (tally.csum) counters_.rx_csum_partial.fetch_add(tally.csum, std::memory_order_relaxed);
  if (tally.invalid) {
    counters_.rx_invalid.fetch_add(tally.invalid, std::memory_order_relaxed);
    stats().add_drop(sw::DropReason::kMalformed, tally.invalid);
  }
}

uint16_t AfPacketPort::rx_burst(uint16_t, rte_mbuf** pkts, uint16_t n) {
  if (__builtin_expect(dead_.load(std::memory_order_relaxed), 0)) return 0;
  n = std::min<uint16_t>(n, sw::kBurst);
  if (__builtin_expect(spill_n_ > 0, 0)) {  // pieces of BIG TCP frames first, in order
    const uint16_t k = std::min<uint16_t>(n, static_cast<uint16_t>(spill_n_ - spill_at_));
    std::memcpy(pkts, &spill_[spill_at_], k * sizeof(rte_mbuf*));
    spill_at_ = static_cast<uint16_t>(spill_at_ + k);
    if (spill_at_ == spill_n_) spill_n_ = spill_at_ = 0;
    return k;
  }
  if (ring_.active()) return rx_burst_ring(pkts, n);
  if (__builtin_expect(!stock_slots(n), 0)) {
    counters_.rx_no_mbuf.fetch_add(1, std::memory_order_relaxed);
    return 0;
  }
  const int r = receive_into_slots(n);
  if (r <= 0) {
    if (yield_when_idle_.load(std::memory_order_relaxed)) sched_yield();
    return 0;
  }
  uint16_t out = 0;
  VnetRxTally tally;
  for (int i = 0; i < r; ++i)
    if (rte_mbuf* m = take_slot(static_cast<uint16_t>(i), tally)) out = deliver(m, pkts, out, n, tally);
  // Drained (fewer frames than slots): every mbuf the frames did not use goes back (a small frame
  // leaves its slot's other segments). A port with frames to spare keeps them for the next burst.
  if (r < n) release_slots(0);
  count(tally);
  return out;
}

uint16_t AfPacketPort::tx_burst(uint16_t, rte_mbuf** pkts, uint16_t n) {
  if (__builtin_expect(dead_.load(std::memory_order_relaxed), 0)) return 0;
  n = std::min<uint16_t>(n, sw::kBurst);
  for (uint16_t i = 0; i < n; ++i) {
    TxSlot& slot = tx_[i];
    rte_mbuf* m = pkts[i];
    mbuf_to_vnet(m, slot.vnet);
    // A chain too long for the iovec goes out as a bare header, which the kernel refuses: it is
    // then counted below with the other refused frames.
    tx_msgs_[i].msg_hdr.msg_iovlen = 1 + frame_iovec(m, &slot.iov[1], kMaxSegs);
  }
  // pkts[0, sent) went out; frames the kernel refuses individually move behind the ones not
  // tried, so Port::send frees and counts them with the rest.
  uint16_t sent = 0, i = 0, nfailed = 0;
  rte_mbuf* failed[sw::kBurst];
  while (i < n) {
    const int r = sendmmsg(fd_, &tx_msgs_[i], n - i, MSG_DONTWAIT);
    if (r > 0) {
      for (int j = 0; j < r; ++j) pkts[sent++] = pkts[i + j];
      i = static_cast<uint16_t>(i + r);
      continue;
    }
    const int err = errno;
    if (err == EAGAIN || err == ENOBUFS || err == ENETDOWN || err == EINTR) break;
    if (vanished(err)) {
      fail(err);
      break;
    }
    if (err == EMSGSIZE) refresh_max_frame_len();  // so Port::send counts it as too_big
    failed[nfailed++] = pkts[i++];                 // EMSGSIZE, EINVAL: this frame only
  }
  if (nfailed) {
    std::memmove(pkts + sent, pkts + i, (n - i) * sizeof(rte_mbuf*));
    std::memcpy(pkts + sent + (n - i), failed, nfailed * sizeof(rte_mbuf*));
    counters_.tx_errors.fetch_add(nfailed, std::memory_order_relaxed);
  }
  rte_pktmbuf_free_bulk(pkts, sent);  // the kernel copied them
  return sent;
}

sw::PortStatus AfPacketPort::status() const {
  sw::PortStatus s = query_netdev(ifindex_, ifname_);
  if (const int err = errno_.load(std::memory_order_relaxed); err != 0) {
    s.link_up = false;
    if (s.error.empty()) s.error = "interface " + ifname_ + ": " + std::strerror(err);
  }
  return s;
}

KernelPortCounters AfPacketPort::kernel_counters() const {
  tpacket_stats st{};
  socklen_t len = sizeof(st);
  if (getsockopt(fd_, SOL_PACKET, PACKET_STATISTICS, &st, &len) == 0)  // read resets them
    kernel_drops_.fetch_add(st.tp_drops, std::memory_order_relaxed);
  KernelPortCounters c;
  c.rx_gso = counters_.rx_gso.load(std::memory_order_relaxed);
  c.rx_csum_partial = counters_.rx_csum_partial.load(std::memory_order_relaxed);
  c.rx_invalid = counters_.rx_invalid.load(std::memory_order_relaxed);
  c.rx_no_mbuf = counters_.rx_no_mbuf.load(std::memory_order_relaxed);
  c.rx_kernel_drops = kernel_drops_.load(std::memory_order_relaxed);
  c.tx_errors = counters_.tx_errors.load(std::memory_order_relaxed);
  c.rx_big = counters_.rx_big.load(std::memory_order_relaxed);
  return c;
}

}  // namespace lvs::ports
