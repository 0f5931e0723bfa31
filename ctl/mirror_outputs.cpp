#include "ctl/mirror_outputs.hpp"

#include <algorithm>

namespace lvs::ctl {
namespace {

std::string signature_of(const MirrorSpec& m) {
  return m.output_pcap + "\n" + std::to_string(m.pcap_max_size_mb);
}

}  // namespace

std::string capture_name(const std::string& port, uint64_t id) {
  return "capture " + port + " #" + std::to_string(id);  // ' ' is in no mirror's name
}

Status MirrorOutputs::prepare(const Config& config, bool strict,
                              std::vector<std::string>* warnings) {
  std::map<std::string, File> next;
  for (const auto& b : config.bridges)
    for (const auto& m : b.mirrors) {
      if (m.output_pcap.empty()) continue;
      const std::string key = b.name + "/" + m.name;
      const std::string sig = signature_of(m);
      if (auto it = files_.find(key); it != files_.end() && it->second.signature == sig) {
        next[key] = it->second;
        continue;
      }
      std::string error;
      auto writer = sw::PcapWriter::to_file(m.output_pcap, m.pcap_max_size_mb << 20,
                                            sw::kPcapDefaultKeepFiles, &error);
      if (!writer && strict) return make_error(kErrInvalid, "mirror " + m.name + ": " + error);
      if (!writer) {
        if (warnings) warnings->push_back("mirror " + m.name + " left out: " + error);
        continue;
      }
      next[key] = File{sig, std::make_shared<sw::PcapSink>(std::move(writer),
                                                           sw::PcapSink::Options{.pmds = pmds_})};
    }
  // Files of mirrors gone close once the datapath lets go of them (the sink's last reference).
  files_ = std::move(next);
  return std::nullopt;
}

std::vector<sw::MirrorConfig> MirrorOutputs::for_bridge(
    const BridgeConfig& b, const std::function<bool(const std::string&)>& live) const {
  std::vector<sw::MirrorConfig> out;
  for (const auto& m : b.mirrors) {
    sw::MirrorConfig mc;
    mc.name = m.name;
    mc.select_all = m.select_all();
    for (const auto& p : m.select_src)
      if (live(p)) mc.select_src.push_back(p);
    for (const auto& p : m.select_dst)
      if (live(p)) mc.select_dst.push_back(p);
    if (!mc.select_all && mc.select_src.empty() && mc.select_dst.empty()) continue;
    for (int v : m.select_vlan) mc.select_vlan.push_back(static_cast<uint16_t>(v));
    if (!m.output_port.empty()) {
      if (!live(m.output_port)) continue;
      mc.output_port = m.output_port;
    } else {
      auto it = files_.find(b.name + "/" + m.name);
      if (it == files_.end()) continue;
      mc.output_sink = it->second.sink;
    }
    out.push_back(std::move(mc));
  }
  for (const auto& c : captures_) {
    if (c.bridge != b.name || !live(c.port) || c.sink->finished()) continue;
    sw::MirrorConfig mc;
    mc.name = capture_name(c.port, c.id);
    if (c.dir != CaptureDirection::kTx) mc.select_src.push_back(c.port);
    if (c.dir != CaptureDirection::kRx) mc.select_dst.push_back(c.port);
    mc.output_sink = c.sink;
    out.push_back(std::move(mc));
  }
  return out;
}

void MirrorOutputs::add_capture(const std::string& bridge, const std::string& port,
                                CaptureDirection dir, uint64_t count, int fd,
                                const std::string& preamble) {
  auto sink = std::make_shared<sw::PcapSink>(
      sw::PcapWriter::to_fd(fd, preamble),
      sw::PcapSink::Options{.pmds = pmds_, .max_frames = count, .watch_peer = true});
  captures_.push_back(Capture{next_id_++, bridge, port, dir, std::move(sink)});
}

void MirrorOutputs::remove_last_capture() {
  if (!captures_.empty()) captures_.back().sink->stop(), captures_.pop_back();
}

bool MirrorOutputs::reap() {
  return std::erase_if(captures_, [](const Capture& c) { return c.sink->finished(); }) > 0;
}

}  // namespace lvs::ctl
