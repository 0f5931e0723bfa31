#pragma once
// Kind "system": an existing kernel interface (the host end of a container's veth pair, or any
// netdev) through an AF_PACKET socket with virtio-net headers, so TSO/GSO super-frames and pending
// checksums pass through whole (see vnet_header.hpp).
//
// Receive: one recvmmsg of up to 32 frames per rx_burst, straight into mbufs (one copy, done by
// the kernel). Each frame slot owns the mbufs its iovec points at: a head mbuf plus as many spare
// segments as a 64 KiB frame needs from that pool; spares are chained only when a frame spills
// over, so small frames cost one mbuf. With a pool of kLargeDataRoom mbufs a super-frame is one
// mbuf (at most two); with smaller mbufs a slot is a head plus one 64 KiB tail of the shared
// afpacket_large_pool() (large_rx_pool.hpp; spares while that is empty). Either keeps the
// headers contiguous and the tx iovec short; AF_PACKET copies synchronously, so such mbufs are
// back in the pool within the burst and the pool can stay small.
// BIG TCP (big_tcp.hpp): when the interface's gso_ipv4_max_size or (IPv6) gso_max_size is
// above 64 KiB (the daemon sets them on both veth ends), or once a frame came cut short, each
// slot holds a head and kBigTails 64 KiB tails, and frames over 64 KiB are cut into 64 KiB GSO
// pieces at once (gso_split.hpp); pieces a burst has no room for wait for the next rx_burst.
// Transmit: one sendmmsg per burst, an iovec per segment (floods send header + indirect clones).
// AfPacketOptions{.rx_ring = true} (options:rx-ring=true) receives through a TPACKET_V2 ring
// (packet_rx_ring.hpp, afpacket_ring_rx.cpp): no syscall for frames that fit a ring slot, one
// recvmmsg per burst for those that do not (GSO super-frames); where the kernel refuses the ring
// the port falls back, with a log line, to the recvmmsg path described above.
// Not a TPACKET_V3 ring: V3 hands blocks over on a >= 1 ms timer.
#include <linux/if_packet.h>
#include <rte_mempool.h>
#include <sys/socket.h>

#include <array>
#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "ports/kernel_frame.hpp"
#include "ports/packet_rx_ring.hpp"
#include "ports/vnet_header.hpp"
#include "switch/port.hpp"
#include "switch/types.hpp"

namespace lvs::ports {

struct AfPacketOptions {
  // TPACKET_V2 receive ring; false: recvmmsg into mbufs. Off by default: adding 2,000 ports
  // (tests/robustness/port_scale_test.cpp) took 27 s instead of 0.9 s, as PACKET_RX_RING waits
  // out an RCU grace period per socket (ports would have to open in parallel first).
  bool rx_ring = false;
  bool qdisc_bypass = true;  // PACKET_QDISC_BYPASS on transmit
  int busy_poll_us = 0;      // SO_BUSY_POLL when > 0 (bench/socket_path_compare.sh measures it)
  int rcvbuf = 8 << 20;      // SO_RCVBUF(FORCE) bytes
  // Nonzero: SO_MARK of what the port sends, and a socket filter (before bind) taking only
  // frames with skb->mark == rx_mark. Tunnel ports sharing one kernel vxlan device use them
  // (tunnels/kernel_vxlan_port.hpp).
  uint32_t tx_mark = 0;
  uint32_t rx_mark = 0;
};

class AfPacketPort final : public sw::Port {
 public:
  // Opens `ifname` (must exist). Returns nullptr and sets `error` when that fails.
  static std::shared_ptr<AfPacketPort> open(const std::string& name, const std::string& ifname,
                                            rte_mempool* pool, std::string& error,
                                            const AfPacketOptions& options = {});
  ~AfPacketPort() override;

  std::string_view kind() const override { return "system"; }
  uint16_t rx_burst(uint16_t q, rte_mbuf** pkts, uint16_t n) override;
  uint16_t tx_burst(uint16_t q, rte_mbuf** pkts, uint16_t n) override;
  sw::PortStatus status() const override;

  KernelPortCounters kernel_counters() const;
  // When a burst finds the socket empty, give the CPU to whatever else is runnable on it
  // (sched_yield). For PMDs that share their core with the containers they serve (small hosts):
  // those run at once instead of waiting out the PMD's time slice. On a core of its own it costs
  // one cheap syscall per empty burst. Off by default.
  void set_yield_when_idle(bool on) { yield_when_idle_.store(on, std::memory_order_relaxed); }
  int ifindex() const { return ifindex_; }
  // Frames over 64 KiB may come from now on (BIG TCP, big_tcp.hpp): slots hold kBigTails tails
  // from the next burst. Before the peer's GSO size grows (ctl/big_tcp_sync.hpp).
  void expect_big_frames() { big_.store(large_ != nullptr, std::memory_order_relaxed); }
  bool expects_big_frames() const { return big_.load(std::memory_order_relaxed); }
  bool rx_ring_active() const { return ring_.active(); }
  const std::string& ifname() const { return ifname_; }
  // Readable when frames wait: lets an idle poller sleep in poll()/epoll instead of spinning.
  int fd() const { return fd_; }
  // Readable when frames wait: an idle PMD sleeps in poll() on it (adaptive PMD sleep).
  int rx_wait_fd(uint16_t) const override { return fd_; }
  int rx_ready_fd(uint16_t) const override { return fd_; }  // readable while frames wait
  bool concurrent_destroy_ok() const override { return true; }
  void release_buffers() override;

 private:
  static constexpr unsigned kMaxSegs = kMaxFrameSegs;

  struct RxSlot {
    VnetHeader vnet;
    std::array<rte_mbuf*, kMaxSegs> segs{};
    std::array<iovec, kMaxSegs + 1> iov{};
    alignas(cmsghdr) std::array<char, CMSG_SPACE(sizeof(tpacket_auxdata))> control{};
    uint8_t nsegs = 0;   // segments this slot's layout uses
    bool large = false;  // head + 64 KiB tails of large_ (one, kBigTails in big mode), else
                         // head + 2 KiB spares
  };
  struct TxSlot {
    VnetHeader vnet;
    std::array<iovec, kMaxSegs + 1> iov{};
  };

  AfPacketPort(std::string name, std::string ifname, int fd, int ifindex, rte_mempool* pool);
  // max_frame_len() from the interface's MTU now (at open, and when the kernel refused a frame
  // as too big: the MTU changed).
  void refresh_max_frame_len();
  // Every segment of slots [0, n) holds an mbuf: a head of pool_ and, when pool_'s mbufs are
  // small, one 64 KiB tail of large_ (afpacket_large_pool()) or, while that is empty, spares.
  bool stock_slots(uint16_t n);
  // Gives back the mbufs left in slots [from, kBurst): a drained socket parks none, so 2,000 quiet
  // ports do not hold a 64 KiB frame's worth of mbufs x 32 slots each (the pool would run dry).
  void release_slots(uint16_t from);
  void fail(int err);            // records an error seen on the fast path
  uint16_t rx_burst_ring(rte_mbuf** pkts, uint16_t n);  // afpacket_ring_rx.cpp
  // recvmmsg of up to n frames into slots [0, n); < 0 on error (recorded).
  int receive_into_slots(uint16_t n);
  // The frame recvmmsg left in slot i (`len` bytes with the virtio-net header), with its tag and
  // offload flags; nullptr when invalid (tallied).
  rte_mbuf* take_slot(uint16_t i, VnetRxTally& tally);
  void count(const VnetRxTally& tally);
  // Puts received frame `m` at pkts[out] (n slots), or, when over 64 KiB (BIG TCP), its pieces
  // (gso_split.hpp), those beyond n in spill_. Returns the new out.
  uint16_t deliver(rte_mbuf* m, rte_mbuf** pkts, uint16_t out, uint16_t n, VnetRxTally& tally);
  // Receives BIG TCP frames from now on (slots of kBigTails tails): a frame was cut short, on an
  // interface without a GSO size above 64 KiB (logged once).
  void enter_big_mode();

  std::string ifname_;
  int fd_;
  int ifindex_;
  rte_mempool* pool_;
  rte_mempool* large_ = nullptr;  // shared 64 KiB tails; nullptr when pool_'s mbufs are large
  unsigned segs_per_slot_;
  PacketRxRing ring_;
  std::vector<RxSlot> rx_;
  std::array<mmsghdr, sw::kBurst> rx_msgs_{};
  std::vector<TxSlot> tx_;
  std::array<mmsghdr, sw::kBurst> tx_msgs_{};
  // Big mode: the peer sends frames over 64 KiB (BIG TCP), found at open from the host end's
  // gso_ipv4_max_size / gso_max_size or on the first frame cut short. Pieces a burst had no room
  // for wait in spill_ for the next rx_burst. PMD-only state.
  std::atomic<bool> big_{false};
  std::array<rte_mbuf*, sw::kBurst * kMaxBigPieces> spill_{};
  uint16_t spill_n_ = 0, spill_at_ = 0;
  std::atomic<int> errno_{0};      // ENXIO / ENODEV once the interface vanished
  std::atomic<bool> dead_{false};  // stop issuing syscalls on a vanished interface
  std::atomic<bool> yield_when_idle_{false};
  struct Atomics {
    std::atomic<uint64_t> rx_gso{0}, rx_csum_partial{0}, rx_invalid{0}, rx_no_mbuf{0}, tx_errors{0},
        rx_big{0};
  };
  mutable Atomics counters_;
  mutable std::atomic<uint64_t> kernel_drops_{0};
};

}  // namespace lvs::ports
