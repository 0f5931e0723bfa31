#pragma once
// The one interface every port kind implements (ports/ and tunnels/). Calls are per burst:
// the datapath never knows which kind it talks to and never makes a virtual call per packet.
#include <rte_mbuf.h>
#include <rte_spinlock.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "switch/drop_reason.hpp"

namespace lvs::sw {

class RxStage;   // rx_stage.hpp
class TxOutput;  // tx_batch.hpp

struct PortCounters {
  uint64_t rx_packets = 0, rx_bytes = 0, tx_packets = 0, tx_bytes = 0;
  std::array<uint64_t, static_cast<size_t>(DropReason::kCount)> drops{};
  uint64_t total_drops() const;
};

// Updated once per burst. Each PMD thread has a slot of its own (PortStats::ThreadSlot) that
// only it writes, with plain stores of relaxed atomics (no locked instruction, no cache line
// shared with another PMD); every other thread (control, tunnel endpoints, tests) and PMDs past
// kPmdSlots add to the shared slot with fetch_add. Readers sum the slots with relaxed loads.
class PortStats {
 public:
  static constexpr unsigned kPmdSlots = 16;
  // The calling thread writes slot `pmd` while this lives (a PMD thread, Datapath::poll_once);
  // pmd >= kPmdSlots keeps the shared slot. At most one thread may hold a given slot for a port.
  class ThreadSlot {
   public:
    explicit ThreadSlot(unsigned pmd) : prev_(slot_) { slot_ = pmd < kPmdSlots ? pmd : kShared; }
    ~ThreadSlot() { slot_ = prev_; }
    ThreadSlot(const ThreadSlot&) = delete;
    ThreadSlot& operator=(const ThreadSlot&) = delete;

   private:
    unsigned prev_;
  };

  void add_rx(uint64_t packets, uint64_t bytes) {
    Slot& s = slots_[slot_];
    add(s.rx_packets, packets);
    add(s.rx_bytes, bytes);
  }
  void add_tx(uint64_t packets, uint64_t bytes) {
    Slot& s = slots_[slot_];
    add(s.tx_packets, packets);
    add(s.tx_bytes, bytes);
  }
  void add_drop(DropReason r, uint64_t n) { add(slots_[slot_].drops[static_cast<size_t>(r)], n); }
  PortCounters read() const;
  void reset();

 private:
  static constexpr unsigned kShared = kPmdSlots;
  struct alignas(RTE_CACHE_LINE_SIZE) Slot {
    std::atomic<uint64_t> rx_packets{0}, rx_bytes{0}, tx_packets{0}, tx_bytes{0};
    std::array<std::atomic<uint64_t>, static_cast<size_t>(DropReason::kCount)> drops{};
  };
  static void add(std::atomic<uint64_t>& c, uint64_t n) {
    if (__builtin_expect(slot_ == kShared, 0))
      c.fetch_add(n, std::memory_order_relaxed);
    else  // this thread is the slot's only writer
      c.store(c.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
  static inline thread_local constinit unsigned slot_ = kShared;
  std::array<Slot, kPmdSlots + 1> slots_{};
};

struct PortStatus {
  bool link_up = true;
  std::string error;  // empty when healthy; e.g. "interface veth1 vanished"
  uint32_t mtu = 1500;
  std::string mac;  // "aa:bb:..." when the kind has one
};

class Port {
 public:
  explicit Port(std::string name, uint16_t tx_queues = 1);
  virtual ~Port();
  Port(const Port&) = delete;
  Port& operator=(const Port&) = delete;

  const std::string& name() const { return name_; }
  virtual std::string_view kind() const = 0;
  virtual uint16_t rx_queue_count() const { return 1; }
  uint16_t tx_queue_count() const { return tx_queues_; }

  // Receives up to n frames from queue q.
  virtual uint16_t rx_burst(uint16_t q, rte_mbuf** pkts, uint16_t n) = 0;
  // Transmits up to n frames on queue q; returns how many it took (it owns those now).
  virtual uint16_t tx_burst(uint16_t q, rte_mbuf** pkts, uint16_t n) = 0;
  virtual PortStatus status() const { return {}; }
  // A file descriptor that becomes readable when rx queue q has frames, so an idle PMD can
  // sleep in poll() instead of spinning; -1 when the kind has none (the PMD then backs off
  // with short sleeps while idle).
  virtual int rx_wait_fd(uint16_t q) const {
    (void)q;
    return -1;
  }
  // An fd that is readable exactly while rx queue q has frames (level-triggered: the kind keeps
  // nothing received in user space), or -1. A PMD with many such queues reads only the ready
  // ones (epoll) instead of trying every queue on every iteration.
  virtual int rx_ready_fd(uint16_t q) const {
    (void)q;
    return -1;
  }

  // True when destroying this port only closes fds and frees mbufs, so several may be destroyed
  // on threads at once (AF_PACKET's close waits for an RCU grace period: 2,000 one after the
  // other took 40 s). Kinds that close DPDK devices keep false.
  virtual bool concurrent_destroy_ok() const { return false; }
  // Gives back the mbufs the port holds (receive slots). Called on the control thread before
  // such a port is destroyed on another thread, so that those threads only close fds: dozens of
  // preempted non-EAL threads putting into one mempool ring stall it (seen: 100 tap ports took
  // over 30 s to delete on 2 cores).
  virtual void release_buffers() {}

  // Sends from PMD thread `pmd`: picks that thread's queue (pmd % tx queues), takes its spinlock
  // unless the queue is that PMD's alone (assign_tx_queues), frees and counts what the queue did
  // not take. `bytes`, when the caller has it (TX batches), is the frames' total pkt_len.
  uint16_t send(unsigned pmd, rte_mbuf** pkts, uint16_t n);
  uint16_t send(unsigned pmd, rte_mbuf** pkts, uint16_t n, uint64_t bytes);

  // Queue ownership, decided when the datapath assigns queues (never per packet): with `pmds`
  // PMD threads that may send here, a queue exactly one of them maps to is sent on without its
  // lock, unless a thread that is no PMD sends on this port too (add_control_sender). Until the
  // datapath calls it (a port outside any datapath, tests) every queue keeps its lock.
  void assign_tx_queues(unsigned pmds);
  // A thread other than the PMDs sends on this port (the spanning tree's BPDUs, from the control
  // thread): every queue takes its lock from now on, for good (a late BPDU cannot race a PMD).
  void add_control_sender();
  bool tx_queue_exclusive(uint16_t q) const {
    return txq_[q % tx_queues_].exclusive.load(std::memory_order_relaxed);
  }

  // A port whose frames leave as frames of another port of the switch (a tunnel with
  // options:underlay=port) names that port: the PMD then hands it its output burst with
  // encapsulate() instead of send(), and the outer frames join that port's TX batch of the same
  // PMD (tx_batch.hpp), so they leave with its other output in one send.
  virtual Port* egress_port() const { return nullptr; }
  // Consumes pkts[0, n): outer frames queued to `out`, the rest dropped and counted; counts its
  // own tx. Only called on ports with an egress_port(); the default sends them as they are.
  virtual void encapsulate(unsigned pmd, rte_mbuf** pkts, uint16_t n, TxOutput& out);
  // The stage that fills this port's rx queues (rx_stage.hpp), or null when rx_burst reads the
  // device itself.
  virtual std::shared_ptr<RxStage> rx_stage() const { return nullptr; }
  // The largest frame the port can send (its MTU plus Ethernet header and one 802.1Q tag), 0
  // when unknown; kinds set it. Of the frames the port did not take, larger ones count as
  // too_big and the others as tx_full (no per-packet check on the way out).
  void set_max_frame_len(uint32_t len) { max_frame_len_.store(len, std::memory_order_relaxed); }
  uint32_t max_frame_len() const { return max_frame_len_.load(std::memory_order_relaxed); }

  PortStats& stats() { return stats_; }
  const PortStats& stats() const { return stats_; }

 private:
  std::string name_;
  uint16_t tx_queues_;
  // One cache line per queue: PMDs sending on different queues do not share a line.
  struct alignas(RTE_CACHE_LINE_SIZE) TxQueue {
    rte_spinlock_t lock;
    std::atomic<bool> exclusive{false};  // one PMD sends on it and nothing else: no lock
  };
  std::unique_ptr<TxQueue[]> txq_;
  std::atomic<bool> control_sender_{false};
  std::atomic<uint32_t> max_frame_len_{0};
  PortStats stats_;
};

}  // namespace lvs::sw
