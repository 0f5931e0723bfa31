// rstp/show and rstp/clear-bpdu-guard: the spanning tree of bridges with rstp_enable=true, as
// the running switch's protocol machine sees it (Runtime::rstp_show).
#include "ctl/commands/handlers.hpp"

namespace lvs::ctl {

using nlohmann::json;

json rstp_json(const std::string& bridge, const RstpBridgeRow& r) {
  json ports = json::array();
  for (const auto& p : r.ports)
    ports.push_back({{"name", p.name},
                     {"role", p.role},
                     {"state", p.state},
                     {"port_id", p.port_id},
                     {"path_cost", p.path_cost},
                     {"edge", p.edge},
                     {"stp_peer", p.stp_peer},
                     {"bpdu_guard_tripped", p.bpdu_guard_tripped},
                     {"root_inconsistent", p.root_inconsistent},
                     {"designated_bridge", p.designated_bridge},
                     {"rx_bpdus", p.rx_bpdus},
                     {"tx_bpdus", p.tx_bpdus},
                     {"rx_tcn", p.rx_tcn},
                     {"tx_tcn", p.tx_tcn},
                     {"forward_transitions", p.forward_transitions}});
  return {{"bridge", bridge},
          {"bridge_id", r.bridge_id},
          {"root_id", r.root_id},
          {"root_path_cost", r.root_path_cost},
          {"root_port", r.root_port},
          {"max_age", r.max_age},
          {"hello_time", r.hello_time},
          {"forward_delay", r.forward_delay},
          {"topology_changes", r.topology_changes},
          {"ports", std::move(ports)}};
}

Status rstp_show(CommandContext& ctx) {
  std::vector<std::string> bridges;
  if (ctx.args.empty()) {
    for (const auto& b : ctx.config.bridges)
      if (b.rstp_enable) bridges.push_back(b.name);
  } else {
    auto bridge = need_bridge(ctx.config, ctx.args[0]);
    if (!bridge) return bridge.error();
    if (!(*bridge)->rstp_enable)
      return invalid_error("rstp/show: bridge " + ctx.args[0] +
                           " does not run RSTP (vsctl set Bridge " + ctx.args[0] +
                           " rstp_enable=true)");
    bridges.push_back(ctx.args[0]);
  }
  ctx.print_after_commit([bridges](const Config&, Runtime* runtime) -> json {
    json out = json::array();
    if (!runtime) return out;
    for (const auto& b : bridges)
      if (auto row = runtime->rstp_show(b)) out.push_back(rstp_json(b, *row));
    return out;
  });
  return std::nullopt;
}

Status rstp_clear_bpdu_guard(CommandContext& ctx) {
  const std::string port = ctx.args[0];
  const BridgeConfig* bridge = ctx.config.bridge_of_port(port);
  if (!bridge) return not_found_error("rstp/clear-bpdu-guard: no port " + port);
  if (!bridge->rstp_enable)
    return invalid_error("rstp/clear-bpdu-guard: bridge " + bridge->name + " of port " + port +
                         " does not run RSTP");
  // Not a configuration change: the running switch re-enables the port (it is disabled again
  // if BPDUs keep coming).
  ctx.print_after_commit([name = bridge->name, port](const Config&, Runtime* runtime) -> json {
    if (runtime) runtime->rstp_clear_bpdu_guard(name, port);
    return nullptr;
  });
  return std::nullopt;
}

}  // namespace lvs::ctl
