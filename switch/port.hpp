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

struct PortCounters {
  uint64_t rx_packets = 0, rx_bytes = 0, tx_packets = 0, tx_bytes = 0;
  std::array<uint64_t, static_cast<size_t>(DropReason::kCount)> drops{};
  uint64_t total_drops() const;
};

// Updated once per burst with relaxed atomics (several PMDs may send to one port).
class PortStats {
 public:
  void add_rx(uint64_t packets, uint64_t bytes) {
    rx_packets_.fetch_add(packets, std::memory_order_relaxed);
    rx_bytes_.fetch_add(bytes, std::memory_order_relaxed);
  }
  void add_tx(uint64_t packets, uint64_t bytes) {
    tx_packets_.fetch_add(packets, std::memory_order_relaxed);
    tx_bytes_.fetch_add(bytes, std::memory_order_relaxed);
  }
  void add_drop(DropReason r, uint64_t n) {
    drops_[static_cast<size_t>(r)].fetch_add(n, std::memory_order_relaxed);
  }
  PortCounters read() const;
  void reset();

 private:
  std::atomic<uint64_t> rx_packets_{0}, rx_bytes_{0}, tx_packets_{0}, tx_bytes_{0};
  std::array<std::atomic<uint64_t>, static_cast<size_t>(DropReason::kCount)> drops_{};
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

  // Sends from PMD thread `pmd`: picks that thread's queue, locks it when threads share one,
  // frees and counts what the queue did not take.
  uint16_t send(unsigned pmd, rte_mbuf** pkts, uint16_t n);

  PortStats& stats() { return stats_; }
  const PortStats& stats() const { return stats_; }

 private:
  std::string name_;
  uint16_t tx_queues_;
  std::unique_ptr<rte_spinlock_t[]> tx_locks_;
  PortStats stats_;
};

}  // namespace lvs::sw
