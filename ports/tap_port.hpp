#pragma once
// Kind "internal": the bridge's own interface in the host, a tap device named after the port
// (br0's carries 172.17.0.1/16, docker0's role). It is created with IFF_VNET_HDR and
// TUNSETOFFLOAD(CSUM, TSO4, TSO6), so the host hands us TSO super-frames and pending checksums
// and takes them back (vnet_header.hpp): host <-> container TCP keeps its offloads.
// Taps have no batch syscall: readv/writev per frame, up to a burst per call.
// The device is not persistent: closing it on destruction removes it from the host.
#include <rte_mempool.h>

#include <array>
#include <atomic>
#include <memory>
#include <string>

#include "ports/kernel_frame.hpp"
#include "ports/vnet_header.hpp"
#include "switch/port.hpp"
#include "switch/types.hpp"

namespace lvs::ports {

class TapPort final : public sw::Port {
 public:
  // Creates tap `name` (at most 15 characters) and brings it up. Returns nullptr and sets `error`
  // when that fails (e.g. an interface of that name exists and is not a free tap).
  static std::shared_ptr<TapPort> create(const std::string& name, rte_mempool* pool,
                                         std::string& error);
  ~TapPort() override;

  std::string_view kind() const override { return "internal"; }
  uint16_t rx_burst(uint16_t q, rte_mbuf** pkts, uint16_t n) override;
  uint16_t tx_burst(uint16_t q, rte_mbuf** pkts, uint16_t n) override;
  sw::PortStatus status() const override;

  // Adds an IPv4 address ("172.17.0.1/16") through rtnetlink. Empty string on success.
  std::string add_ipv4(const std::string& cidr) const;
  KernelPortCounters kernel_counters() const;
  int ifindex() const { return ifindex_; }
  // Readable when frames wait: lets an idle poller sleep in poll()/epoll instead of spinning.
  int fd() const { return fd_; }
  // Readable when frames wait: an idle PMD sleeps in poll() on it (adaptive PMD sleep).
  int rx_wait_fd(uint16_t) const override { return fd_; }
  int rx_ready_fd(uint16_t) const override { return fd_; }  // readable while frames wait
  bool concurrent_destroy_ok() const override { return true; }
  void release_buffers() override;

 private:
  static constexpr unsigned kMaxSegs = kMaxFrameSegs;

  TapPort(std::string name, int fd, int ifindex, rte_mempool* pool, unsigned segs);
  bool stock();  // every segment of the receive slot holds an mbuf

  int fd_;
  int ifindex_;
  rte_mempool* pool_;
  unsigned segs_;  // mbufs a 64 KiB frame needs from this pool
  VnetHeader rx_vnet_{};
  std::array<rte_mbuf*, kMaxSegs> rx_segs_{};
  std::array<iovec, kMaxSegs + 1> rx_iov_{};
  VnetHeader tx_vnet_{};
  std::array<iovec, kMaxSegs + 1> tx_iov_{};
  std::atomic<int> errno_{0};
  std::atomic<uint64_t> rx_gso_{0}, rx_csum_partial_{0}, rx_invalid_{0}, rx_no_mbuf_{0},
      tx_errors_{0};
};

}  // namespace lvs::ports
