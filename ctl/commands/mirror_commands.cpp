// add-mirror, del-mirror (the bridge's Mirror records, mirror_config.hpp) and capture's row
// (vsctl runs capture itself over its own connection: capture_client.hpp).
#include <algorithm>

#include "ctl/commands/handlers.hpp"

namespace lvs::ctl {
namespace {

std::vector<std::string> split_commas(const std::string& text) {
  std::vector<std::string> out;
  size_t start = 0;
  for (;;) {
    const size_t comma = text.find(',', start);
    out.push_back(text.substr(start, comma - start));
    if (comma == std::string::npos) return out;
    start = comma + 1;
  }
}

}  // namespace

Status add_mirror(CommandContext& ctx) {
  const Words& args = ctx.args;
  auto bridge = need_bridge(ctx.config, args[0]);
  if (!bridge) return bridge.error();
  MirrorSpec m;
  m.name = args[1];
  if (auto e = validate_name("mirror", m.name)) return e;
  for (const auto& other : (*bridge)->mirrors)
    if (other.name == m.name)
      return make_error(kErrExists, "bridge " + args[0] + " already has a mirror named " + m.name);
  bool size_given = false;
  for (size_t i = 2; i < args.size(); ++i) {
    std::string opt = args[i], value;
    if (const size_t eq = opt.find('='); opt.rfind("--", 0) == 0 && eq != std::string::npos) {
      value = opt.substr(eq + 1);
      opt.resize(eq);
    } else if (i + 1 < args.size()) {
      value = args[++i];
    } else {
      return syntax_error("add-mirror: " + opt +
                          (opt.rfind("--", 0) == 0 ? ": missing value" : ": unexpected word"));
    }
    if (opt == "--src" || opt == "--dst") {
      auto& list = opt == "--src" ? m.select_src : m.select_dst;
      for (const auto& p : split_commas(value)) {
        if (p.empty())
          return syntax_error("add-mirror: " + opt + " \"" + value + "\": empty port name");
        if (std::find(list.begin(), list.end(), p) == list.end()) list.push_back(p);
      }
    } else if (opt == "--vlan") {
      for (const auto& v : split_commas(value)) {
        auto n = parse_int(v, 0, 4095);
        if (!n) return invalid_error("add-mirror: --vlan \"" + v + "\" is not a VLAN id (0..4095)");
        m.select_vlan.push_back(static_cast<int>(*n));
      }
    } else if (opt == "--output") {
      m.output_port = value;
    } else if (opt == "--output-pcap") {
      m.output_pcap = value;
    } else if (opt == "--pcap-max-size") {
      auto n = parse_int(value, 1, static_cast<long long>(kMaxPcapMaxSizeMb));
      if (!n)
        return invalid_error("add-mirror: --pcap-max-size \"" + value + "\" is not in 1.." +
                             std::to_string(kMaxPcapMaxSizeMb) + " (MB)");
      m.pcap_max_size_mb = static_cast<uint64_t>(*n);
      size_given = true;
    } else {
      return syntax_error("add-mirror: unknown option \"" + opt +
                          "\" (--src, --dst, --vlan, --output, --output-pcap, --pcap-max-size)");
    }
  }
  if (size_given && m.output_pcap.empty())
    return syntax_error("add-mirror: --pcap-max-size goes with --output-pcap");
  (*bridge)->mirrors.push_back(std::move(m));
  // Checked here, with the bridge as it is in this transaction, so the error names the mirror.
  if (auto e = validate_mirrors(**bridge)) return e;
  return std::nullopt;
}

Status delete_mirror(CommandContext& ctx) {
  auto bridge = need_bridge(ctx.config, ctx.args[0]);
  if (!bridge) return bridge.error();
  auto& mirrors = (*bridge)->mirrors;
  const auto it = std::find_if(mirrors.begin(), mirrors.end(),
                               [&](const MirrorSpec& m) { return m.name == ctx.args[1]; });
  if (it == mirrors.end()) {
    if (ctx.has_option("--if-exists")) return std::nullopt;
    return not_found_error("bridge " + ctx.args[0] + " has no mirror named " + ctx.args[1]);
  }
  mirrors.erase(it);
  return std::nullopt;
}

Status capture_in_transaction(CommandContext&) {
  return syntax_error(
      "capture streams frames: run it alone (vsctl capture PORT -w FILE|-), not "
      "in a chain of commands");
}

}  // namespace lvs::ctl
