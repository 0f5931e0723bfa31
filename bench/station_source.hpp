#pragma once
// The traffic source of bench/datapath_fwd: N stations per port, every frame written afresh.
//
// A station j of port p is the pair (src = station_mac(p, j), dst = the same station of the
// partner port, or a MAC nobody has: flood cases). StationSourcePort wraps a DPDK port that
// carries no content of its own (net_null): after each rx burst it writes every frame's
// Ethernet (+ 802.1Q) + IPv4 + UDP header from the port's template and the next station, so
// no frame is left over from the previous pass (a pushed/popped tag, a swapped MAC). Stations
// are visited with a stride coprime with N (about N / golden ratio): consecutive frames always
// differ when N > 1, and the walk is not the table's order. The rewrite is timed per burst
// (rte_rdtsc) and reported apart (source_cycles()), so the switch's own cycles stay readable.
#include <rte_cycles.h>
#include <rte_mbuf.h>

#include <array>
#include <cstdint>
#include <cstring>
#include <memory>
#include <numeric>
#include <vector>

#include "switch/port.hpp"

namespace lvs::bench {

inline constexpr uint16_t kBenchVlan = 10;
inline constexpr uint32_t kMaxStations = 1u << 24;

// 02:00:PP:JJ:JJ:JJ (locally administered); unknown destinations use 06:00:PP:JJ:JJ:JJ.
inline uint64_t station_mac(size_t port, uint32_t j) {
  return 0x020000000000ULL | (uint64_t{port & 0xff} << 24) | j;
}
inline uint64_t unknown_mac(size_t port, uint32_t j) {
  return 0x060000000000ULL | (uint64_t{port & 0xff} << 24) | j;
}

inline void write_mac(uint8_t* p, uint64_t mac) {
  for (int i = 0; i < 6; ++i) p[i] = static_cast<uint8_t>(mac >> (8 * (5 - i)));
}

// Ethernet (+ tag) + IPv4 + UDP for a frame of `frame_len` bytes (as the port hands it over,
// without FCS): lengths and the IPv4 header checksum valid, UDP checksum 0 (none).
struct FrameTemplate {
  std::array<uint8_t, 64> bytes{};  // the header, zero padding after it
  uint16_t len = 0;                 // header bytes

  static FrameTemplate make(uint16_t frame_len, bool tagged) {
    FrameTemplate t;
    uint8_t* p = t.bytes.data();
    size_t l2 = 14;
    if (tagged) {
      p[12] = 0x81;
      p[13] = 0x00;
      p[14] = 0;
      p[15] = kBenchVlan;
      l2 = 18;
    }
    p[l2 - 2] = 0x08;  // IPv4
    p[l2 - 1] = 0x00;
    const uint16_t ip_len = static_cast<uint16_t>(frame_len > l2 + 28 ? frame_len - l2 : 28);
    uint8_t* ip = p + l2;
    const uint8_t hdr[20] = {0x45,
                             0,
                             static_cast<uint8_t>(ip_len >> 8),
                             static_cast<uint8_t>(ip_len),
                             0,
                             0,
                             0x40,
                             0,
                             64,
                             17,
                             0,
                             0,
                             10,
                             0,
                             0,
                             1,
                             10,
                             0,
                             0,
                             2};
    std::memcpy(ip, hdr, sizeof hdr);
    uint32_t sum = 0;
    for (size_t i = 0; i < sizeof hdr; i += 2) sum += (uint32_t{hdr[i]} << 8) | hdr[i + 1];
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    ip[10] = static_cast<uint8_t>(~sum >> 8);
    ip[11] = static_cast<uint8_t>(~sum);
    const uint16_t udp_len = static_cast<uint16_t>(ip_len - 20);
    const uint8_t udp[8] = {
        0x0f, 0xa0, 0, 9, static_cast<uint8_t>(udp_len >> 8), static_cast<uint8_t>(udp_len),
        0,    0};  // 4000 -> 9
    std::memcpy(ip + 20, udp, sizeof udp);
    t.len = static_cast<uint16_t>(l2 + 28);
    return t;
  }
};

// A stride in [1, n) coprime with n, near n / golden ratio (1 when n <= 2).
inline uint32_t station_stride(uint32_t n) {
  if (n <= 2) return 1;
  uint32_t s = static_cast<uint32_t>(n * 0.6180339887);
  while (std::gcd(s, n) != 1) --s;
  return s;
}

// What one port sends: its template, its stations and their partners.
struct StationPlan {
  size_t port = 0;     // this port's index (the src MACs)
  size_t partner = 0;  // whose stations the frames are addressed to
  uint32_t stations = 1;
  bool tagged = false;
  bool unknown_dst = false;  // flood cases: destinations never learned
  bool silent = false;       // a sink-only port (VLAN push/pop one way): hands out no frames
  uint16_t frame_len = 64;
};

class StationSourcePort final : public sw::Port {
 public:
  StationSourcePort(std::shared_ptr<sw::Port> inner, const StationPlan& plan)
      : Port(inner->name(), inner->tx_queue_count()),
        inner_(std::move(inner)),
        plan_(plan),
        tmpl_(FrameTemplate::make(plan.frame_len, plan.tagged)),
        stride_(station_stride(plan.stations)),
        queues_(inner_->rx_queue_count()) {
    // Queues start apart so that two PMDs do not walk the stations in step.
    for (size_t q = 0; q < queues_.size(); ++q)
      queues_[q].next = static_cast<uint32_t>((uint64_t{plan.stations} * q) / queues_.size());
  }

  std::string_view kind() const override { return "station-source"; }
  uint16_t rx_queue_count() const override { return inner_->rx_queue_count(); }
  sw::PortStatus status() const override { return inner_->status(); }

  uint16_t rx_burst(uint16_t q, rte_mbuf** pkts, uint16_t n) override {
    if (plan_.silent) return 0;
    const uint16_t got = inner_->rx_burst(q, pkts, n);
    if (got == 0) return 0;
    Queue& st = queues_[q];
    const uint64_t t0 = rte_rdtsc();
    uint32_t j = st.next;
    for (uint16_t i = 0; i < got; ++i) {
      uint8_t* p = rte_pktmbuf_mtod(pkts[i], uint8_t*);
      // A fixed 64 bytes (two stores; every frame is >= 64 bytes): the header, then padding.
      std::memcpy(p, tmpl_.bytes.data(), sizeof tmpl_.bytes);
      write_mac(p,
                plan_.unknown_dst ? unknown_mac(plan_.partner, j) : station_mac(plan_.partner, j));
      write_mac(p + 6, station_mac(plan_.port, j));
      j += stride_;
      if (j >= plan_.stations) j -= plan_.stations;
    }
    st.next = j;
    st.cycles += rte_rdtsc() - t0;
    st.frames += got;
    return got;
  }
  uint16_t tx_burst(uint16_t q, rte_mbuf** pkts, uint16_t n) override {
    return inner_->tx_burst(q, pkts, n);
  }

  // Cycles spent writing frames and frames written (read after the PMDs stopped).
  uint64_t source_cycles() const {
    uint64_t c = 0;
    for (const auto& q : queues_) c += q.cycles;
    return c;
  }
  uint64_t source_frames() const {
    uint64_t f = 0;
    for (const auto& q : queues_) f += q.frames;
    return f;
  }
  sw::Port& inner() { return *inner_; }

 private:
  struct alignas(64) Queue {  // one per rx queue: each owned by one PMD
    uint32_t next = 0;
    uint64_t cycles = 0, frames = 0;
  };
  std::shared_ptr<sw::Port> inner_;
  StationPlan plan_;
  FrameTemplate tmpl_;
  uint32_t stride_;
  std::vector<Queue> queues_;
};

}  // namespace lvs::bench
