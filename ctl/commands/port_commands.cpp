// add-port, del-port, list-ports, port-to-br.
#include <algorithm>

#include "ctl/commands/columns.hpp"
#include "ctl/commands/handlers.hpp"

namespace lvs::ctl {

Status add_port(CommandContext& ctx) {
  const Words& args = ctx.args;
  auto bridge = need_bridge(ctx.config, args[0]);
  if (!bridge) return bridge.error();
  const std::string& name = args[1];
  if (auto e = validate_name("port", name)) return e;
  if (BridgeConfig* other = ctx.config.bridge_of_port(name)) {
    if (other == *bridge && ctx.has_option("--may-exist")) return std::nullopt;
    return make_error(kErrExists, "cannot create a port named " + name + " because a port named " +
                                      name + " already exists on bridge " + other->name);
  }
  PortConfig port;
  port.name = name;
  for (size_t i = 2; i < args.size(); ++i) {
    ColumnArg column = split_column_arg(args[i]);
    if (!column.value) return syntax_error("add-port: \"" + args[i] + "\" is not COLUMN=VALUE");
    // Port and Interface columns both apply: the port has exactly one interface.
    const bool of_port = has_column(Table::kPort, column.column);
    if (!of_port && !has_column(Table::kInterface, column.column))
      return invalid_error("add-port: Port has no column \"" + column.column + "\"");
    if (auto e =
            set_column(of_port ? Table::kPort : Table::kInterface, Record{*bridge, &port}, column))
      return e;
  }
  (*bridge)->ports.push_back(std::move(port));
  return std::nullopt;
}

Status delete_port(CommandContext& ctx) {
  const Words& args = ctx.args;
  const std::string& name = args.back();
  BridgeConfig* bridge = ctx.config.bridge_of_port(name);
  if (args.size() == 2) {
    auto named = need_bridge(ctx.config, args[0]);
    if (!named) return named.error();
    if (bridge && bridge != *named)
      return not_found_error("bridge " + args[0] + " does not have a port " + name);
  }
  if (!bridge)
    return ctx.has_option("--if-exists") ? Status{}
                                         : Status{not_found_error("no port named " + name)};
  if (name == bridge->name)
    return invalid_error("cannot delete port " + name +
                         " because it is the local port for bridge " + name +
                         " (deleting this port requires deleting the entire bridge)");
  auto& ports = bridge->ports;
  ports.erase(std::remove_if(ports.begin(), ports.end(),
                             [&](const PortConfig& p) { return p.name == name; }),
              ports.end());
  auto& macs = bridge->static_macs;
  macs.erase(
      std::remove_if(macs.begin(), macs.end(), [&](const StaticMac& m) { return m.port == name; }),
      macs.end());
  forget_port_in_mirrors(*bridge, name);
  return std::nullopt;
}

Status list_ports(CommandContext& ctx) {
  auto bridge = need_bridge(ctx.config, ctx.args[0]);
  if (!bridge) return bridge.error();
  std::vector<std::string> names;
  // As ovs-vsctl: the bridge's local port is not listed.
  for (const auto& p : (*bridge)->ports)
    if (p.name != (*bridge)->name) names.push_back(p.name);
  std::sort(names.begin(), names.end());
  ctx.print(names);
  return std::nullopt;
}

Status port_to_bridge(CommandContext& ctx) {
  BridgeConfig* bridge = ctx.config.bridge_of_port(ctx.args[0]);
  if (!bridge) return not_found_error("no port named " + ctx.args[0]);
  ctx.print(bridge->name);
  return std::nullopt;
}

}  // namespace lvs::ctl
