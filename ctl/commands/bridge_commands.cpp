// add-br, del-br, list-br, br-exists.
#include <algorithm>

#include "ctl/commands/handlers.hpp"

namespace lvs::ctl {

Result<BridgeConfig*> need_bridge(Config& config, const std::string& name) {
  BridgeConfig* bridge = config.find_bridge(name);
  if (!bridge) return not_found_error("no bridge named " + name);
  return bridge;
}

Status add_bridge(CommandContext& ctx) {
  const std::string& name = ctx.args[0];
  Config& config = ctx.config;
  if (auto e = validate_name("bridge", name)) return e;
  if (config.find_bridge(name)) {
    if (ctx.has_option("--may-exist")) return std::nullopt;
    return make_error(kErrExists, "cannot create a bridge named " + name +
                                      " because a bridge named " + name + " already exists");
  }
  if (config.bridge_of_port(name))
    return make_error(kErrExists, "cannot create a bridge named " + name +
                                      " because a port named " + name + " already exists");
  BridgeConfig bridge;
  bridge.name = name;
  // ovs-vsctl's habit: every bridge has its own internal port, named after it.
  bridge.ports.push_back(local_port_config(name));
  config.bridges.push_back(std::move(bridge));
  return std::nullopt;
}

Status delete_bridge(CommandContext& ctx) {
  auto& bridges = ctx.config.bridges;
  auto it = std::find_if(bridges.begin(), bridges.end(),
                         [&](const BridgeConfig& b) { return b.name == ctx.args[0]; });
  if (it == bridges.end())
    return ctx.has_option("--if-exists")
               ? Status{}
               : Status{not_found_error("no bridge named " + ctx.args[0])};
  bridges.erase(it);
  return std::nullopt;
}

Status list_bridges(CommandContext& ctx) {
  std::vector<std::string> names;
  for (const auto& b : ctx.config.bridges) names.push_back(b.name);
  std::sort(names.begin(), names.end());
  ctx.print(names);
  return std::nullopt;
}

Status bridge_exists(CommandContext& ctx) {
  ctx.print(nlohmann::json{{"exists", ctx.config.find_bridge(ctx.args[0]) != nullptr}});
  return std::nullopt;
}

}  // namespace lvs::ctl
