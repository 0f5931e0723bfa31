// CNI ADD and CHECK (cni_plugin.hpp).
#include <fstream>

#include "ctl/cni_ipam.hpp"
#include "ctl/cni_plugin.hpp"
#include "ctl/cni_result.hpp"
#include "ctl/cni_switch.hpp"
#include "ctl/link_ops.hpp"
#include "ctl/netns.hpp"
#include "ctl/route_ops.hpp"

namespace lvs::ctl::cni {
namespace {

using nlohmann::json;

constexpr int kInterfaceExists = 101;  // plugin-specific: CNI_IFNAME is taken in the container

std::string prefix_text(const Ipv4Prefix& p) {
  return format_ipv4(p.addr) + "/" + std::to_string(p.prefix);
}

// The bridge plugin's gateway rules: isGateway gives each subnet a gateway (the IPAM's, else
// the subnet's first address) on the bridge; isDefaultGateway routes 0.0.0.0/0 through it.
CniResult<std::optional<Ipv4Prefix>> apply_gateway(const NetConf& n, NetResult& r) {
  if (!n.is_gateway || r.ips.empty()) return std::optional<Ipv4Prefix>();
  IpConfig& ip = r.ips.front();
  if (!ip.gateway) {
    if (ip.address.prefix >= 31)
      return cni_error(
          kInvalidConfig, "invalid network config",
          "isGateway: subnet of " + prefix_text(ip.address) + " has no room for a gateway");
    ip.gateway = ip.address.network() + 1;
  }
  if (*ip.gateway == ip.address.addr)
    return cni_error(
        kInvalidConfig, "invalid network config",
        "the IPAM gave the container " + prefix_text(ip.address) + ", the gateway's own address");
  if (n.is_default_gateway) {
    bool has_default = false;
    for (const auto& rt : r.routes) has_default = has_default || rt.dst.prefix == 0;
    if (!has_default) r.routes.push_back({Ipv4Prefix{0, 0}, ip.gateway});
  }
  return std::optional<Ipv4Prefix>(Ipv4Prefix{*ip.gateway, ip.address.prefix});
}

// The container end: MTU, MAC, up, addresses, routes (a route's gateway defaults to its
// subnet's). Runs inside the container's namespace; returns the MAC it ended up with.
Status configure_container(const NetConf& n, const Env& env, const NetResult& r,
                           const std::string& mac, std::string& mac_out) {
  if (auto e = configure_link(env.ifname, n.mtu, mac, true)) return e;
  for (const auto& ip : r.ips)
    if (auto e = add_address(env.ifname, ip.address)) return e;
  for (const auto& rt : r.routes) {
    std::optional<uint32_t> gw = rt.gw;
    if (!gw)
      for (const auto& ip : r.ips)
        if (!gw && ip.gateway && ip.address.contains(*ip.gateway)) gw = ip.gateway;
    if (rt.dst.prefix == 0 && gw) {
      if (auto e = replace_default_route(env.ifname, *gw)) return e;
    } else if (auto e = replace_route(env.ifname, rt.dst, gw)) {
      return e;
    }
  }
  auto m = link_mac(env.ifname);
  if (!m) return m.error();
  mac_out = *m;
  return std::nullopt;
}

Status enable_ip_forward() {
  std::ofstream f("/proc/sys/net/ipv4/ip_forward");
  f << "1\n";
  f.flush();
  if (!f) return make_error(kErrIo, "cannot write /proc/sys/net/ipv4/ip_forward");
  return std::nullopt;
}

}  // namespace

CniResult<json> cmd_add(const NetConf& n, const Env& env) {
  // prevResult on ADD: we are not first in the chain; what came before is kept, ours appended.
  NetResult prev;
  if (!n.prev_result.is_null()) {
    auto p = parse_result(n.prev_result);
    if (!p) return p.error();
    prev = *p;
  }
  auto ns = NetnsFd::open(env.netns);
  if (!ns)
    return cni_error(kUnknownContainer, "cannot open the network namespace " + env.netns,
                     ns.error());
  bool taken = false;
  if (auto e = run_in_netns(*ns, [&]() -> Status {
        taken = link_exists(env.ifname);
        return std::nullopt;
      }))
    return cni_error(kUnknownContainer, "cannot enter the network namespace " + env.netns, *e);
  if (taken)
    return cni_error(kInterfaceExists, "container already has an interface named " + env.ifname,
                     "CNI_NETNS " + env.netns);
  const std::string host = host_port_name(env);
  // A host end without its container end is a leftover of an ADD that was never DELeted.
  if (auto e = delete_link(host)) return cni_error(kIoFailure, "cannot remove stale " + host, *e);

  auto lease = ipam_add(n, env);
  if (!lease) return lease.error();
  NetResult r = lease->result;
  bool veth_made = false;
  auto undo = [&](CniError e) -> CniResult<json> {
    if (veth_made) delete_link(host);
    ipam_del(n, env);  // SPEC.md: a failed ADD releases what the IPAM gave
    return e;
  };
  auto gateway = apply_gateway(n, r);
  if (!gateway) return undo(gateway.error());
  auto bridge_mac = ensure_bridge(n, *gateway);
  if (!bridge_mac) return undo(bridge_mac.error());
  if (*gateway)
    if (auto e = enable_ip_forward()) return undo(cni_error(kIoFailure, "isGateway", *e));

  const std::string mac = !n.mac.empty() ? n.mac : lease->mac;
  if (auto e = create_veth(host, env.ifname, ns->fd(), n.mtu, mac))
    return undo(cni_error(kIoFailure, "cannot create the veth pair", *e));
  veth_made = true;
  if (auto e = configure_link(host, n.mtu, "", true))
    return undo(cni_error(kIoFailure, "cannot set up " + host, *e));
  std::string container_mac;
  if (auto e =
          run_in_netns(*ns, [&]() { return configure_container(n, env, r, mac, container_mac); }))
    return undo(cni_error(kIoFailure, "cannot configure " + env.ifname + " in " + env.netns, *e));
  const std::string ip_text = r.ips.empty() ? "" : prefix_text(r.ips.front().address);
  if (auto e = add_container_port(n, env, host, ip_text)) return undo(*e);
  // Last, once the port forwards: neighbours learn the container's MAC at once (best effort).
  if (!r.ips.empty())
    run_in_netns(*ns, [&]() {
      return send_gratuitous_arp(env.ifname, r.ips.front().address.addr, container_mac);
    });

  auto host_mac = link_mac(host);
  NetResult out = prev;
  const size_t base = out.interfaces.size();
  out.interfaces.push_back({n.bridge, *bridge_mac, ""});
  out.interfaces.push_back({host, host_mac ? *host_mac : "", ""});
  out.interfaces.push_back({env.ifname, container_mac, env.netns});
  for (auto ip : r.ips) {
    ip.interface = base + 2;
    out.ips.push_back(ip);
  }
  for (const auto& rt : r.routes) out.routes.push_back(rt);
  // The configuration's dns wins over the IPAM's (as the bridge plugin).
  if (n.dns.is_object() && !n.dns.empty())
    out.dns = n.dns;
  else if (r.dns.is_object())
    out.dns = r.dns;
  return result_json(out, n.cni_version);
}

CniStatus cmd_check(const NetConf& n, const Env& env) {
  if (n.prev_result.is_null()) return cni_error(kInvalidConfig, "required prevResult missing");
  auto prev = parse_result(n.prev_result);
  if (!prev) return prev.error();
  std::optional<size_t> mine;
  for (size_t i = 0; i < prev->interfaces.size(); ++i)
    if (prev->interfaces[i].name == env.ifname && prev->interfaces[i].sandbox == env.netns)
      mine = i;
  if (!mine)
    return cni_error(kInvalidConfig,
                     "prevResult has no interface " + env.ifname + " in sandbox " + env.netns);
  if (auto e = ipam_check(n, env)) return e;

  const std::string host = host_port_name(env);
  auto ports = list_ports(n.socket);
  if (!ports) return ports.error();
  const PortRecord* port = nullptr;
  for (const auto& p : *ports)
    if (p.name == host) port = &p;
  if (!port || port->bridge != n.bridge)
    return cni_error(kSwitchRefused,
                     "the container's port " + host + " is not on bridge " + n.bridge);
  if (port->container_id != env.container_id || port->ifname != env.ifname)
    return cni_error(kSwitchRefused, "port " + host + " records another container",
                     port->container_id + "/" + port->ifname);
  if (!port->error.empty())
    return cni_error(kSwitchRefused, "port " + host + " is not open", port->error);
  if (!link_exists(host))
    return cni_error(kIoFailure, "the host end " + host + " of the veth is gone");

  auto ns = NetnsFd::open(env.netns);
  if (!ns)
    return cni_error(kUnknownContainer, "cannot open the network namespace " + env.netns,
                     ns.error());
  const Interface& want = prev->interfaces[*mine];
  std::string problem;
  if (auto e = run_in_netns(*ns, [&]() -> Status {
        if (!link_exists(env.ifname)) {
          problem = "the container has no interface " + env.ifname;
          return std::nullopt;
        }
        auto mac = link_mac(env.ifname);
        if (!mac) return mac.error();
        if (!want.mac.empty() && *mac != want.mac) {
          problem = env.ifname + " has MAC " + *mac + ", prevResult says " + want.mac;
          return std::nullopt;
        }
        auto have = ipv4_addresses(env.ifname);
        if (!have) return have.error();
        for (const auto& ip : prev->ips) {
          if (ip.interface != mine) continue;
          bool found = false;
          for (const auto& a : *have) found = found || a == ip.address;
          if (!found) {
            problem = env.ifname + " lacks " + prefix_text(ip.address);
            return std::nullopt;
          }
        }
        for (const auto& rt : prev->routes) {
          auto ok = has_ipv4_route(env.ifname, rt.dst, rt.gw);
          if (!ok) return ok.error();
          if (!*ok) {
            problem = "route " + prefix_text(rt.dst) +
                      (rt.gw ? " via " + format_ipv4(*rt.gw) : "") + " dev " + env.ifname +
                      " is missing";
            return std::nullopt;
          }
        }
        return std::nullopt;
      }))
    return cni_error(kIoFailure, "cannot inspect " + env.netns, *e);
  if (!problem.empty())
    return cni_error(kInvalidConfig, "container network is not as ADD left it", problem);
  return std::nullopt;
}

}  // namespace lvs::ctl::cni
