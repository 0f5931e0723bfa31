#include "ctl/metrics_collect.hpp"

#include "ctl/port_kind.hpp"

namespace lvs::ctl {
namespace {

// What nat_rules.hpp turns into DNAT rules: the publish entries of ports with a container_ip.
uint64_t published_ports(const PortConfig& port) {
  auto publish = port.external_ids.find(kPublish);
  if (publish == port.external_ids.end() || !port.external_ids.contains(kContainerIp)) return 0;
  auto list = parse_publish_list(publish->second);
  return list ? list->size() : 0;
}

}  // namespace

MetricsSnapshot collect_metrics(const Config& config, const Runtime& runtime,
                                MetricsDaemon daemon) {
  MetricsSnapshot s;
  s.daemon = std::move(daemon);
  for (const auto& b : config.bridges) {
    MetricsBridge mb;
    mb.name = b.name;
    mb.fdb = runtime.fdb_stats(b.name);
    mb.ports = b.ports.size();
    mb.nat = b.nat();
    for (const auto& p : b.ports) {
      mb.published_ports += published_ports(p);
      MetricsPort mp;
      mp.bridge = b.name;
      mp.name = p.name;
      mp.type = p.type.empty() ? "system" : p.type;
      // A tunnel is a kind that has a far end (the descriptor says so: no kind names here).
      const PortKind* kind = kind_of(p);
      mp.tunnel = kind && kind->accepts_option("remote_ip");
      if (mp.tunnel)
        if (auto r = p.options.find("remote_ip"); r != p.options.end()) mp.remote_ip = r->second;
      mp.state = runtime.interface_state(b.name, p.name);
      s.ports.push_back(std::move(mp));
    }
    s.bridges.push_back(std::move(mb));
  }
  s.pmds = runtime.pmd_stats();
  return s;
}

}  // namespace lvs::ctl
