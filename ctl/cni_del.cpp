// CNI DEL and GC (cni_plugin.hpp).
#include <set>
#include <utility>

#include "ctl/cni_ipam.hpp"
#include "ctl/cni_plugin.hpp"
#include "ctl/cni_switch.hpp"
#include "ctl/link_ops.hpp"

namespace lvs::ctl::cni {

CniStatus cmd_del(const NetConf& n, const Env& env) {
  // Addresses first (as the bridge plugin): released even when the namespace is long gone.
  if (auto e = ipam_del(n, env)) return e;
  const std::string host = host_port_name(env);
  // `--if-exists`: a second DEL, or one after GC, finds nothing and succeeds.
  if (auto r = switch_call(n.socket, {{"--if-exists", "del-port", host}}); !r) return r.error();
  // Deleting the host end takes the container end with it; gone with its namespace is fine.
  if (auto e = delete_link(host)) return cni_error(kIoFailure, "cannot delete " + host, *e);
  return std::nullopt;
}

CniStatus cmd_gc(const NetConf& n, const Env& env) {
  std::set<std::pair<std::string, std::string>> valid;
  for (const auto& a : n.valid_attachments) valid.insert({a.container_id, a.ifname});
  auto ports = list_ports(n.socket);
  if (!ports) return ports.error();
  // SPEC.md: remove as much as possible, then report what failed.
  CniStatus first_error;
  for (const auto& p : *ports) {
    if (p.network != n.name || p.bridge != n.bridge || valid.count({p.container_id, p.ifname}))
      continue;
    if (auto r = switch_call(n.socket, {{"--if-exists", "del-port", p.name}}); !r) {
      if (!first_error) first_error = r.error();
      continue;
    }
    if (auto e = delete_link(p.name); e && !first_error)
      first_error = cni_error(kIoFailure, "cannot delete " + p.name, *e);
  }
  if (auto e = ipam_gc(n, env); e && !first_error) first_error = e;
  return first_error;
}

}  // namespace lvs::ctl::cni
