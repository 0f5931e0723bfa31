#include "switch/mirror_sink.hpp"

#include <poll.h>
#include <pthread.h>
#include <rte_cycles.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>

#include <cstdlib>
#include <ctime>
#include <string>

namespace lvs::sw {
namespace {

constexpr unsigned kDrainBurst = 64;
constexpr long kIdleNapNs = 2'000'000;

uint64_t realtime_ns() {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000 + static_cast<uint64_t>(ts.tv_nsec);
}

}  // namespace

PcapSink::PcapSink(std::unique_ptr<PcapWriter> writer, Options o)
    : writer_(std::move(writer)), options_(o) {
  uint32_t size = 64;
  while (size < o.ring_size) size <<= 1;
  const ssize_t bytes = rte_ring_get_memsize_elem(sizeof(Item), size);
  for (unsigned i = 0; i < (o.pmds ? o.pmds : 1); ++i) {
    auto* r = static_cast<rte_ring*>(std::aligned_alloc(
        RTE_CACHE_LINE_SIZE,
        (static_cast<size_t>(bytes) + RTE_CACHE_LINE_SIZE - 1) & ~size_t{RTE_CACHE_LINE_SIZE - 1}));
    // Not registered by name (rte_ring_init, not rte_ring_create): sinks come and go.
    rte_ring_init(r, "mirror", size, RING_F_SP_ENQ | RING_F_SC_DEQ);  // holds size - 1
    rings_.push_back(r);
  }
  tsc0_ = rte_rdtsc();
  ns0_ = realtime_ns();
  hz_ = rte_get_tsc_hz();
  if (!writer_ || writer_->failed()) done_ = true;
  if (writer_) writer_->set_cancel(&quit_);
  thread_ = std::thread([this] { run(); });
}

PcapSink::~PcapSink() {
  done_ = true;
  quit_ = true;
  if (thread_.joinable()) thread_.join();
  for (rte_ring* r : rings_) {
    Item items[kDrainBurst];
    unsigned n;
    while ((n = rte_ring_dequeue_burst_elem(r, items, sizeof(Item), kDrainBurst, nullptr)) > 0)
      for (unsigned i = 0; i < n; ++i) rte_pktmbuf_free(items[i].m);
    std::free(r);
  }
}

void PcapSink::stop() { done_.store(true, std::memory_order_release); }

void PcapSink::offer(unsigned pmd, rte_mbuf* const* pkts, uint16_t n, uint64_t tsc) {
  Item items[64];
  uint16_t done = 0;
  rte_ring* r = rings_[pmd % rings_.size()];
  while (done < n) {
    const uint16_t k = static_cast<uint16_t>(n - done < 64 ? n - done : 64);
    for (uint16_t i = 0; i < k; ++i) items[i] = {pkts[done + i], tsc};
    const unsigned in = rte_ring_enqueue_burst_elem(r, items, sizeof(Item), k, nullptr);
    for (unsigned i = in; i < k; ++i) rte_pktmbuf_free(items[i].m);
    if (in < k) dropped_.fetch_add(k - in, std::memory_order_relaxed);
    done = static_cast<uint16_t>(done + k);
  }
}

uint64_t PcapSink::to_ns(uint64_t tsc) const {
  const auto d = static_cast<__int128>(static_cast<int64_t>(tsc - tsc0_)) * 1'000'000'000 /
                 static_cast<__int128>(hz_);
  return ns0_ + static_cast<uint64_t>(static_cast<int64_t>(d));
}

void PcapSink::run() {
  pthread_setname_np(pthread_self(), "pcap-writer");
  uint64_t since_check = 0;
  while (!quit_.load(std::memory_order_relaxed)) {
    // Finished: close the file or stream at once (the capture's reader sees its end); what still
    // comes is only freed.
    if (writer_ && done_.load(std::memory_order_acquire)) writer_.reset();
    unsigned got = 0;
    for (rte_ring* r : rings_) {
      Item items[kDrainBurst];
      const unsigned n = rte_ring_dequeue_burst_elem(r, items, sizeof(Item), kDrainBurst, nullptr);
      got += n;
      for (unsigned i = 0; i < n; ++i) {
        if (writer_ && !done_.load(std::memory_order_relaxed)) {
          if (writer_->write(items[i].m, to_ns(items[i].tsc))) {
            const uint64_t w = written_.fetch_add(1, std::memory_order_relaxed) + 1;
            if (options_.max_frames && w >= options_.max_frames) {
              writer_->flush();
              done_.store(true, std::memory_order_release);
            }
          } else {
            done_.store(true, std::memory_order_release);
          }
        }
        rte_pktmbuf_free(items[i].m);
      }
    }
    if (got) {
      if (++since_check < 64) continue;
    }
    since_check = 0;
    if (writer_ && !done_.load(std::memory_order_relaxed) && !writer_->flush())
      done_.store(true, std::memory_order_release);
    if (writer_ && options_.watch_peer && !done_.load(std::memory_order_relaxed)) {
      pollfd p{writer_->fd(), 0, 0};
      if (::poll(&p, 1, 0) > 0 && (p.revents & (POLLHUP | POLLERR)))
        done_.store(true, std::memory_order_release);
    }
    if (!got) {
      const timespec nap{0, kIdleNapNs};
      nanosleep(&nap, nullptr);
    }
  }
  writer_.reset();  // flushes and closes
}

}  // namespace lvs::sw
