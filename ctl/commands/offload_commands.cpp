// dpif/offload-show: the decisions the kernel carries for the switch (ctl/offload/).
#include <sstream>

#include "ctl/commands/handlers.hpp"
#include "ctl/output_format.hpp"

namespace lvs::ctl {

using json = nlohmann::json;

Status show_offload(CommandContext& ctx) {
  std::string bridge;
  if (!ctx.args.empty()) {
    if (auto b = need_bridge(ctx.config, ctx.args[0]); !b) return b.error();
    bridge = ctx.args[0];
  }
  ctx.print_after_commit([bridge](const Config&, Runtime* runtime) -> json {
    const OffloadStatus s = runtime ? runtime->offload_status() : OffloadStatus{};
    json rows = json::array();
    for (const auto& r : s.rows) {
      if (!bridge.empty() && r.bridge != bridge) continue;
      rows.push_back({{"bridge", r.bridge},
                      {"in_port", r.in_port},
                      {"vlan", r.vlan},
                      {"tagged_in", r.tagged_in},
                      {"mac", r.mac},
                      {"out_port", r.out_port},
                      {"action", r.action},
                      {"packets", r.packets},
                      {"bytes", r.bytes},
                      {"idle_ms", r.idle_ms}});
    }
    return {{"kernel_offload", s.state}, {"ports", s.ports}, {"entries", rows}};
  });
  return std::nullopt;
}

std::string format_offload(const json& out) {
  std::ostringstream o;
  o << "kernel offload: " << escape_control_chars(out["kernel_offload"].get<std::string>()) << "\n";
  o << "ports:";
  if (out["ports"].empty()) o << " (none)";
  for (const auto& p : out["ports"]) o << " " << escape_control_chars(p.get<std::string>());
  o << "\n";
  for (const auto& r : out["entries"]) {
    const int64_t idle = r["idle_ms"].get<int64_t>();
    o << "in_port=" << escape_control_chars(r["in_port"].get<std::string>())
      << " vlan=" << r["vlan"].get<int>() << (r["tagged_in"].get<bool>() ? " tagged" : "")
      << " dl_dst=" << r["mac"].get<std::string>() << " packets:" << r["packets"].get<uint64_t>()
      << " bytes:" << r["bytes"].get<uint64_t>()
      << " used:" << (idle < 0 ? std::string("never") : std::to_string(idle) + "ms")
      << " actions:" << escape_control_chars(r["action"].get<std::string>())
      << (r["action"].get<std::string>().empty() ? "" : ",")
      << escape_control_chars(r["out_port"].get<std::string>()) << "\n";
  }
  return o.str();
}

}  // namespace lvs::ctl
