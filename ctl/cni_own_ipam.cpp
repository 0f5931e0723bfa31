#include "ctl/cni_own_ipam.hpp"

#include <set>

#include "ctl/cni_switch.hpp"

namespace lvs::ctl::cni {
namespace {

using nlohmann::json;

std::string owner_of(const Env& env) { return env.container_id + "/" + env.ifname; }

// Makes the pool `subnet` names, when given (see the header), so the first ADD needs no vsctl.
CniStatus ensure_pool(const NetConf& n) {
  if (n.ipam_subnet.empty()) return std::nullopt;
  const Ipv4Prefix subnet = *parse_ipv4_prefix(n.ipam_subnet);
  if (n.ipam_pool == n.bridge && n.is_gateway) {
    const uint32_t gw = n.ipam_gateway.empty() ? subnet.network() + 1 : *parse_ipv4(n.ipam_gateway);
    if (auto r = ensure_bridge(n, Ipv4Prefix{gw, subnet.prefix}); !r) return r.error();
    return std::nullopt;
  }
  std::vector<std::string> cmd = {"--may-exist", "ipam/add-pool", n.ipam_pool, n.ipam_subnet};
  if (!n.ipam_gateway.empty()) cmd.push_back(n.ipam_gateway);
  if (auto r = switch_call(n.socket, {cmd}); !r) return r.error();
  return std::nullopt;
}

CniResult<json> show_pool(const NetConf& n) {
  auto out = switch_call(n.socket, {{"ipam/show", n.ipam_pool}});
  if (!out) return out.error();
  return (*out)[0];
}

}  // namespace

CniResult<IpamLease> own_ipam_add(const NetConf& n, const Env& env) {
  if (auto e = ensure_pool(n)) return *e;
  std::vector<std::string> alloc = {"ipam/alloc", n.ipam_pool, owner_of(env)};
  if (!n.mac.empty()) alloc.insert(alloc.end(), {"auto", n.mac});
  auto out = switch_call(n.socket, {alloc});
  if (!out) return out.error();
  const json& lease = (*out)[0];
  json result = {{"ips", json::array({{{"address", lease.value("address", "")}}})}};
  if (lease.contains("gateway") && lease["gateway"].is_string())
    result["ips"][0]["gateway"] = lease["gateway"];
  if (n.ipam_routes.is_array()) result["routes"] = n.ipam_routes;
  auto r = parse_result(result);
  if (!r) {
    switch_call(n.socket, {{"--if-exists", "ipam/release", n.ipam_pool, owner_of(env)}});
    return r.error();
  }
  return IpamLease{*r, lease.value("mac", std::string())};
}

CniStatus own_ipam_del(const NetConf& n, const Env& env) {
  // A pool already gone (its bridge deleted, say) holds nothing to release.
  auto pools = switch_call(n.socket, {{"ipam/show"}});
  if (!pools) return pools.error();
  bool known = false;
  for (const auto& p : (*pools)[0]) known = known || p.value("pool", "") == n.ipam_pool;
  if (!known) return std::nullopt;
  if (auto r = switch_call(n.socket, {{"--if-exists", "ipam/release", n.ipam_pool, owner_of(env)}});
      !r)
    return r.error();
  return std::nullopt;
}

CniStatus own_ipam_check(const NetConf& n, const Env& env) {
  auto pool = show_pool(n);
  if (!pool) return pool.error();
  auto prev = parse_result(n.prev_result);
  if (!prev) return prev.error();
  for (const auto& l : (*pool)["leases"]) {
    if (l.value("owner", "") != owner_of(env)) continue;
    auto a = parse_ipv4_prefix(l.value("address", ""));
    std::optional<uint32_t> addr =
        a ? std::optional<uint32_t>(a->addr) : parse_ipv4(l.value("address", ""));
    for (const auto& ip : prev->ips)
      if (addr && ip.address.addr == *addr) return std::nullopt;
    return cni_error(kInvalidConfig,
                     "the lease of " + owner_of(env) + " in pool " + n.ipam_pool +
                         " is not prevResult's address",
                     l.dump());
  }
  return cni_error(kInvalidConfig, "pool " + n.ipam_pool + " holds no lease for " + owner_of(env));
}

CniStatus own_ipam_gc(const NetConf& n) {
  auto pool = show_pool(n);
  if (!pool) return pool.error();
  auto ports = list_ports(n.socket);
  if (!ports) return ports.error();
  std::set<std::string> keep;
  for (const auto& a : n.valid_attachments) keep.insert(a.container_id + "/" + a.ifname);
  for (const auto& p : *ports)
    if (!p.container_id.empty() && p.network != n.name)
      keep.insert(p.container_id + "/" + p.ifname);
  CniStatus first_error;
  for (const auto& l : (*pool)["leases"]) {
    const std::string owner = l.value("owner", "");
    // Only CNI owners (CONTAINERID/IFNAME); Docker's endpoints and vsattach's leases are not ours.
    if (owner.find('/') == std::string::npos || keep.count(owner)) continue;
    if (auto r = switch_call(n.socket, {{"--if-exists", "ipam/release", n.ipam_pool, owner}});
        !r && !first_error)
      first_error = r.error();
  }
  return first_error;
}

CniStatus own_ipam_status(const NetConf& n) {
  if (!n.ipam_subnet.empty()) return std::nullopt;  // ADD makes the pool
  if (auto pool = show_pool(n); !pool) {
    CniError e = pool.error();
    e.code = kNotAvailable;
    return e;
  }
  return std::nullopt;
}

}  // namespace lvs::ctl::cni
