// show (the configuration tree with each interface's error) and dpif/pmd-stats-show.
#include "ctl/commands.hpp"
#include "ctl/commands/handlers.hpp"
#include "ctl/config_json.hpp"

namespace lvs::ctl {

using nlohmann::json;

// The database rendering (config_json.hpp), regrouped as ovs-vsctl shows it: a port's
// interface carries its type, options, mtu_request (when set) and the running switch's error.
json show_json(const Config& config, const Runtime* runtime) {
  json bridges = json::array();
  for (const auto& b : config.bridges) {
    json bridge = bridge_json(b);
    bridge.erase("static_macs");
    for (auto& port : bridge["ports"]) {
      const std::string name = port["name"];
      json interface {
        {"name", name}, {"type", port["type"]}, { "options", port["options"] }
      };
      InterfaceState state;
      if (runtime) state = runtime->interface_state(b.name, name);
      interface["error"] = state.error;
      if (!port["mtu_request"].is_null()) interface["mtu_request"] = port["mtu_request"];
      for (const char* column : {"ingress_policing_rate", "ingress_policing_burst"})
        if (port.contains(column)) interface[column] = port[column];  // written when set
      for (const char* column : {"type", "options", "mtu_request", "external_ids",
                                 "ingress_policing_rate", "ingress_policing_burst"})
        port.erase(column);
      port["interfaces"] = json::array({std::move(interface)});
    }
    const auto counts = runtime ? runtime->mirror_stats(b.name) : std::vector<MirrorCounts>{};
    for (const auto& c : counts)  // running captures (vsctl capture), named "capture PORT #N"
      if (c.name.rfind("capture ", 0) == 0)
        bridge["captures"].push_back(
            {{"name", c.name.substr(8)},
             {"statistics", {{"tx_packets", c.packets}, {"mirror_drops", c.drops}}}});
    if (bridge.contains("mirrors")) {
      for (auto& m : bridge["mirrors"]) {
        json stats{{"tx_packets", 0}, {"mirror_drops", 0}};
        for (const auto& c : counts)
          if (c.name == m["name"]) stats = {{"tx_packets", c.packets}, {"mirror_drops", c.drops}};
        m["statistics"] = std::move(stats);
      }
    }
    bridges.push_back(std::move(bridge));
  }
  return json{{"bridges", bridges}};
}

Status show_configuration(CommandContext& ctx) {
  ctx.print_after_commit(
      [](const Config& config, Runtime* runtime) { return show_json(config, runtime); });
  return std::nullopt;
}

Status show_pmd_stats(CommandContext& ctx) {
  ctx.print_after_commit([](const Config&, Runtime* runtime) -> json {
    json out = json::array();
    if (!runtime) return out;
    for (const auto& s : runtime->pmd_stats()) {
      const uint64_t total = s.busy_cycles + s.idle_cycles + s.sleep_cycles;
      auto share = [total](uint64_t part, double none) {
        return total ? static_cast<double>(part) / static_cast<double>(total) : none;
      };
      const double cycles_per_packet =
          s.packets ? static_cast<double>(s.busy_cycles) / static_cast<double>(s.packets) : 0.0;
      // clang-format off
      out.push_back({{"pmd", s.index}, {"core", s.core}, {"packets", s.packets},
                     {"busy_cycles", s.busy_cycles}, {"idle_cycles", s.idle_cycles},
                     {"sleep_cycles", s.sleep_cycles}, {"wakeups", s.wakeups},
                     {"iterations", s.iterations}, {"cycles_per_packet", cycles_per_packet},
                     {"busy_share", share(s.busy_cycles, 0.0)},
                     {"idle_share", share(s.idle_cycles, 1.0)},
                     {"sleep_share", share(s.sleep_cycles, 0.0)}, {"rx_queues", s.rx_queues}});
      // clang-format on
    }
    return out;
  });
  return std::nullopt;
}

}  // namespace lvs::ctl
