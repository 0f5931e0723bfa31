// cluster/show: the cluster this switch is in (issue 17), as the daemon's ClusterDriver sees it
// (Runtime::cluster_show): members and their VNIs, lease ages, tunnels, remote endpoints.
#include "ctl/cluster/cluster_config.hpp"
#include "ctl/commands/handlers.hpp"

namespace lvs::ctl {

using nlohmann::json;

Status cluster_show(CommandContext& ctx) {
  if (!ctx.config.other_config.count(cluster::kClusterStore))
    return invalid_error(
        "cluster/show: this switch is in no cluster (vsctl set Open_vSwitch . "
        "other_config:cluster-store=etcd://HOST:PORT other_config:cluster-local-ip=IP)");
  ctx.print_after_commit([](const Config&, Runtime* runtime) -> json {
    if (!runtime) return json::object();
    auto shown = runtime->cluster_show();
    if (!shown) return json{{"error", shown.error().message}};
    return *shown;
  });
  return std::nullopt;
}

}  // namespace lvs::ctl
