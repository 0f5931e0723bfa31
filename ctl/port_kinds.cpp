// The port kinds built into this vswitchd. One registration per kind.
#include "ctl/port_factory.hpp"
#include "ports/afpacket_port.hpp"
#include "ports/ethdev_port.hpp"
#include "ports/tap_port.hpp"
#include "tunnels/tunnel_port.hpp"

namespace lvs::ctl {
namespace {

Result<std::shared_ptr<sw::Port>> make_dpdk(const PortConfig& p, const PortContext& ctx) {
  std::string error;
  auto port =
      ports::EthdevPort::open(p.name, p.options.at("dpdk-devargs"), ctx.queues, ctx.pool, error);
  if (!port) return make_error(kErrInvalid, error);
  return std::shared_ptr<sw::Port>(std::move(port));
}

// The existing kernel interface: options:ifname when given, else the port's own name (OVS).
Result<std::shared_ptr<sw::Port>> make_system(const PortConfig& p, const PortContext& ctx) {
  auto it = p.options.find("ifname");
  const std::string ifname = it == p.options.end() ? p.name : it->second;
  std::string error;
  auto port = ports::AfPacketPort::open(p.name, ifname, ctx.pool, error);
  if (!port) return make_error(kErrInvalid, error);
  return std::shared_ptr<sw::Port>(std::move(port));
}

Result<std::shared_ptr<sw::Port>> make_internal(const PortConfig& p, const PortContext& ctx) {
  std::string error;
  auto port = ports::TapPort::create(p.name, ctx.pool, error);
  if (!port) return make_error(kErrInvalid, error);
  // options:ip (validated by config.cpp): the host's address on the bridge, e.g. br0's gateway.
  if (auto ip = p.options.find(kIpOption); ip != p.options.end())
    if (auto list = parse_ip_list(ip->second))
      for (const auto& a : *list)
        if (auto e = port->add_ipv4(format_ipv4(a.addr) + "/" + std::to_string(a.prefix));
            !e.empty())
          return make_error(kErrInvalid, "port " + p.name + ": options:ip: " + e);
  return std::shared_ptr<sw::Port>(std::move(port));
}

// VXLAN / GRE over the host kernel, or out of another port of the switch (underlay=port);
// options with Open vSwitch's names (tunnels/tunnel_config.hpp).
PortMaker make_tunnel(tunnels::TunnelKind kind) {
  return [kind](const PortConfig& p, const PortContext& ctx) -> Result<std::shared_ptr<sw::Port>> {
    tunnels::TunnelConfig config;
    if (auto err = tunnels::parse_tunnel_options(kind, p.options, config))
      return make_error(kErrInvalid, "port " + p.name + ": " + *err);
    std::shared_ptr<sw::Port> underlay;
    if (!config.underlay_port.empty()) {
      underlay = ctx.find_port ? ctx.find_port(config.underlay_port) : nullptr;
      if (!underlay)
        return make_error(kErrInvalid, "port " + p.name + ": options:underlay_port " +
                                           config.underlay_port + " is not open");
    }
    std::string error;
    auto port = tunnels::TunnelPort::open(p.name, config, ctx.pool, error, std::move(underlay));
    if (!port) return make_error(kErrInvalid, error);
    return std::shared_ptr<sw::Port>(std::move(port));
  };
}

}  // namespace

void register_builtin_port_kinds(PortFactory& factory) {
  factory.add("dpdk", make_dpdk);
  factory.add("system", make_system);
  factory.add("internal", make_internal);
  factory.add("vxlan", make_tunnel(tunnels::TunnelKind::kVxlan));
  factory.add("gre", make_tunnel(tunnels::TunnelKind::kGre));
}

}  // namespace lvs::ctl
