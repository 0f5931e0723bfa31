#pragma once
// Simulated bridges, links and clock for the RSTP machine: every BPDU goes through the codec
// (encode_frame / decode_frame) and reaches the far end of its link after `delay_ms`.
#include <deque>
#include <map>
#include <memory>
#include <vector>

#include "switch/rstp/rstp_bridge.hpp"

namespace lvs::sw::rstp::sim {

struct End {
  int bridge;
  uint16_t port;
  bool operator<(const End& o) const { return std::tie(bridge, port) < std::tie(o.bridge, o.port); }
};

class Net {
 public:
  uint64_t now = 0;
  uint64_t delay_ms = 1;
  std::vector<std::unique_ptr<Bridge>> bridges;
  // Frames per port: counts what left each port (to check that nothing storms).
  std::map<End, uint64_t> sent;
  // Ports an 802.1D-only peer stands behind: RST BPDUs to it are dropped (as a Linux bridge
  // does: it ignores version 2), what it sends is given with inject().
  std::map<End, std::vector<Bpdu>> to_legacy;
  std::vector<std::vector<uint16_t>> flushed;

  int add_bridge(uint16_t priority, uint8_t mac_last) {
    BridgeSettings s;
    s.priority = priority;
    s.address = {0x02, 0, 0, 0, 0, mac_last};
    bridges.push_back(std::make_unique<Bridge>(s, now));
    flushed.emplace_back();
    return static_cast<int>(bridges.size() - 1);
  }
  Bridge& b(int i) { return *bridges[i]; }
  void add_port(int bridge, uint16_t port, PortSettings s = {}) {
    bridges[bridge]->add_port(port, s, now);
  }
  void connect(End a, End z) {
    peer_[a] = z;
    peer_[z] = a;
    bridges[a.bridge]->link(a.port, true, now);
    bridges[z.bridge]->link(z.port, true, now);
  }
  void legacy_peer(End a) {
    to_legacy[a];
    bridges[a.bridge]->link(a.port, true, now);
  }
  void cut(End a) {
    auto z = peer_.at(a);
    peer_.erase(a);
    peer_.erase(z);
    bridges[a.bridge]->link(a.port, false, now);
    bridges[z.bridge]->link(z.port, false, now);
  }
  void inject(End at, const Bpdu& bpdu) {
    bridges[at.bridge]->receive(at.port, bpdu, now);
    collect(at.bridge);
  }
  // Runs the clock forward in steps of `step_ms`, ticking every bridge each step.
  void run(uint64_t ms, uint64_t step_ms = 10) {
    const uint64_t end = now + ms;
    for (size_t i = 0; i < bridges.size(); ++i) collect(static_cast<int>(i));
    while (now < end) {
      now += step_ms;
      while (!wire_.empty() && wire_.front().at <= now) {
        auto f = std::move(wire_.front());
        wire_.pop_front();
        auto bpdu = decode_frame(f.frame);
        if (bpdu) bridges[f.to.bridge]->receive(f.to.port, *bpdu, now);
        collect(f.to.bridge);
      }
      for (size_t i = 0; i < bridges.size(); ++i) {
        bridges[i]->tick(now);
        collect(static_cast<int>(i));
      }
    }
  }
  PortState state(End e) { return bridges[e.bridge]->state(e.port); }
  PortRole role(End e) { return bridges[e.bridge]->role(e.port); }

 private:
  struct InFlight {
    uint64_t at;
    End to;
    std::vector<uint8_t> frame;
  };
  void collect(int i) {
    Output o = bridges[i]->take_output();
    for (uint16_t p : o.flush) flushed[i].push_back(p);
    for (auto& tx : o.tx) {
      const End from{i, tx.port};
      ++sent[from];
      if (auto l = to_legacy.find(from); l != to_legacy.end()) {
        l->second.push_back(tx.bpdu);
        continue;
      }
      auto z = peer_.find(from);
      if (z == peer_.end()) continue;
      wire_.push_back({now + delay_ms, z->second, encode_frame(tx.bpdu, {2, 0, 0, 0, 1, 1})});
    }
  }
  std::map<End, End> peer_;
  std::deque<InFlight> wire_;
};

}  // namespace lvs::sw::rstp::sim
