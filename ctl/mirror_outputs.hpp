#pragma once
// The daemon's side of mirrors and live captures: the pcap files mirrors write (opened when a
// mirror appears or changes, kept across unrelated commits, closed when it goes) and the captures
// `vsctl capture` runs (ephemeral: never in the database; each streams to its vsctl connection
// and ends when that closes or after N frames). Both become sw::MirrorConfig rows of their
// bridge's datapath configuration (switch/mirror.hpp); the PMD-to-writer hand-off and the pcap
// writer are switch/mirror_sink.hpp's, shared by both.
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "ctl/config.hpp"
#include "switch/mirror.hpp"

namespace lvs::ctl {

// How a running capture is named among its bridge's mirrors (and in show).
std::string capture_name(const std::string& port, uint64_t id);

enum class CaptureDirection : uint8_t { kRx, kTx, kBoth };

class MirrorOutputs {
 public:
  explicit MirrorOutputs(unsigned pmds) : pmds_(pmds) {}

  // Opens the pcap files of the mirrors new or changed in `config`, closes those of mirrors
  // gone. An error names the mirror and the file. Not `strict` (the daemon's start: the
  // database is what it is), a file that cannot be created leaves its mirror out and is said
  // in `warnings` instead.
  Status prepare(const Config& config, bool strict, std::vector<std::string>* warnings);
  // The datapath's mirrors of bridge `b`: its mirrors (ports not attached left out; a mirror
  // whose output is not attached, or with nothing left to select, is left out) and its captures.
  std::vector<sw::MirrorConfig> for_bridge(
      const BridgeConfig& b, const std::function<bool(const std::string&)>& live) const;

  // A capture of `port` on bridge `bridge` streaming pcap to `fd` (taken over): `count` frames
  // (0: until the reader goes away).
  // `preamble` is written to the stream before the pcap header.
  void add_capture(const std::string& bridge, const std::string& port, CaptureDirection dir,
                   uint64_t count, int fd, const std::string& preamble);
  void remove_last_capture();  // the datapath refused it
  // Drops the captures that ended. True when any did (the datapath must be told).
  bool reap();
  size_t captures() const { return captures_.size(); }
  // The bridges with a capture running (their frames must all pass the switch: no offload).
  std::set<std::string> capture_bridges() const {
    std::set<std::string> out;
    for (const auto& c : captures_) out.insert(c.bridge);
    return out;
  }

 private:
  struct File {
    std::string signature;
    std::shared_ptr<sw::PcapSink> sink;
  };
  struct Capture {
    uint64_t id;
    std::string bridge, port;
    CaptureDirection dir;
    std::shared_ptr<sw::PcapSink> sink;
  };
  unsigned pmds_;
  std::map<std::string, File> files_;  // by "bridge/mirror"
  std::vector<Capture> captures_;
  uint64_t next_id_ = 1;
};

}  // namespace lvs::ctl
