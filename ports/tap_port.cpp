#include "ports/tap_port.hpp"

#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "ports/kernel_netdev.hpp"

namespace lvs::ports {

std::shared_ptr<TapPort> TapPort::create(const std::string& name, rte_mempool* pool,
                                         std::string& error) {
  if (name.empty() || name.size() >= IFNAMSIZ) {
    error = "internal port name '" + name + "' must have 1 to 15 characters";
    return nullptr;
  }
  const unsigned segs = pool ? segments_per_frame(pool) : 0;
  if (segs == 0) {
    error = "no mempool, or its mbufs are too small for 64 KiB frames";
    return nullptr;
  }
  const int fd = ::open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    error = std::string("/dev/net/tun: ") + std::strerror(errno);
    return nullptr;
  }
  auto fail = [&](const std::string& what) {
    error = what;
    close(fd);
    return nullptr;
  };
  ifreq r{};
  std::strncpy(r.ifr_name, name.c_str(), IFNAMSIZ - 1);
  r.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
  if (ioctl(fd, TUNSETIFF, &r) != 0)
    return fail("cannot create tap " + name + ": " + std::strerror(errno));
  int hdr = sizeof(VnetHeader);
  if (ioctl(fd, TUNSETVNETHDRSZ, &hdr) != 0)
    return fail("TUNSETVNETHDRSZ on " + name + ": " + std::strerror(errno));
  // What we accept from the host: pending checksums and TCP super-frames (ECN included: the
  // flag is rebuilt from CWR on the way out, see vnet_header.hpp).
  const unsigned offloads = TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 | TUN_F_TSO_ECN;
  if (ioctl(fd, TUNSETOFFLOAD, offloads) != 0)
    return fail("TUNSETOFFLOAD on " + name + ": " + std::strerror(errno));
  if (std::string e = set_netdev_up(name); !e.empty()) return fail(e);
  const int ifindex = static_cast<int>(if_nametoindex(name.c_str()));
  return std::shared_ptr<TapPort>(new TapPort(name, fd, ifindex, pool, segs));
}

TapPort::TapPort(std::string name, int fd, int ifindex, rte_mempool* pool, unsigned segs)
    : Port(std::move(name)), fd_(fd), ifindex_(ifindex), pool_(pool), segs_(segs) {
  rx_iov_[0] = {&rx_vnet_, sizeof(VnetHeader)};
  tx_iov_[0] = {&tx_vnet_, sizeof(VnetHeader)};
}

TapPort::~TapPort() {
  close(fd_);  // not persistent: the kernel removes the interface
  release_buffers();
}

void TapPort::release_buffers() {
  for (rte_mbuf*& m : rx_segs_)
    if (m != nullptr) {
      rte_pktmbuf_free(m);
      m = nullptr;
    }
}

bool TapPort::stock() {
  for (unsigned s = 0; s < segs_; ++s) {
    if (rx_segs_[s] != nullptr) continue;
    rx_segs_[s] = rte_pktmbuf_alloc(pool_);
    if (rx_segs_[s] == nullptr) return false;
    arm_segment(rx_segs_[s], s, rx_iov_[1 + s]);
  }
  return true;
}

uint16_t TapPort::rx_burst(uint16_t, rte_mbuf** pkts, uint16_t n) {
  uint16_t out = 0;
  VnetRxTally tally;
  for (uint16_t tries = 0; tries < n; ++tries) {
    if (__builtin_expect(!stock(), 0)) {
      rx_no_mbuf_.fetch_add(1, std::memory_order_relaxed);
      break;
    }
    const ssize_t r = readv(fd_, rx_iov_.data(), static_cast<int>(1 + segs_));
    if (r < 0) {
      if (errno != EAGAIN) errno_.store(errno, std::memory_order_relaxed);
      break;
    }
    if (static_cast<size_t>(r) < sizeof(VnetHeader) + 14) {
      ++tally.invalid;
      continue;
    }
    rte_mbuf* m = chain_received(rx_segs_.data(), &rx_iov_[1], r - sizeof(VnetHeader));
    if (!tally.add(vnet_to_mbuf(rx_vnet_, m))) {
      rte_pktmbuf_free(m);
      continue;
    }
    pkts[out++] = m;
  }
  if (tally.gso) rx_gso_.fetch_add(tally.gso, std::memory_order_relaxed);
  if (tally.csum) rx_csum_partial_.fetch_add(tally.csum, std::memory_order_relaxed);
  if (tally.invalid) {
    rx_invalid_.fetch_add(tally.invalid, std::memory_order_relaxed);
    stats().add_drop(sw::DropReason::kMalformed, tally.invalid);
  }
  return out;
}

uint16_t TapPort::tx_burst(uint16_t, rte_mbuf** pkts, uint16_t n) {
  uint16_t sent = 0, i = 0, nfailed = 0;
  rte_mbuf* failed[sw::kBurst];
  n = std::min<uint16_t>(n, sw::kBurst);
  for (; i < n; ++i) {
    rte_mbuf* m = pkts[i];
    mbuf_to_vnet(m, tx_vnet_);
    const unsigned segs = frame_iovec(m, &tx_iov_[1], kMaxSegs);
    if (segs != 0 && writev(fd_, tx_iov_.data(), static_cast<int>(1 + segs)) >= 0) {
      pkts[sent++] = m;
      continue;
    }
    const int err = segs == 0 ? EMSGSIZE : errno;
    if (err == EAGAIN || err == EIO || err == EINTR) break;  // EIO: the tap is down
    failed[nfailed++] = m;  // refused for itself (EINVAL, EMSGSIZE)
  }
  if (nfailed) {
    std::memmove(pkts + sent, pkts + i, (n - i) * sizeof(rte_mbuf*));
    std::memcpy(pkts + sent + (n - i), failed, nfailed * sizeof(rte_mbuf*));
    tx_errors_.fetch_add(nfailed, std::memory_order_relaxed);
  }
  rte_pktmbuf_free_bulk(pkts, sent);  // the kernel copied them
  return sent;
}

sw::PortStatus TapPort::status() const {
  sw::PortStatus s = query_netdev(ifindex_, name());
  if (const int err = errno_.load(std::memory_order_relaxed); err != 0 && s.error.empty())
    s.error = "tap " + name() + ": " + std::strerror(err);
  return s;
}

std::string TapPort::add_ipv4(const std::string& cidr) const {
  return add_ipv4_address(ifindex_, cidr);
}

KernelPortCounters TapPort::kernel_counters() const {
  KernelPortCounters c;
  c.rx_gso = rx_gso_.load(std::memory_order_relaxed);
  c.rx_csum_partial = rx_csum_partial_.load(std::memory_order_relaxed);
  c.rx_invalid = rx_invalid_.load(std::memory_order_relaxed);
  c.rx_no_mbuf = rx_no_mbuf_.load(std::memory_order_relaxed);
  c.tx_errors = tx_errors_.load(std::memory_order_relaxed);
  return c;
}

}  // namespace lvs::ports
