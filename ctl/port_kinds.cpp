// How this vswitchd opens each built-in kind (descriptors: ctl/kinds/). One registration per
// kind, at the bottom.
#include <unistd.h>

#include <fstream>

#include "ctl/derived_mac.hpp"
#include "ctl/kinds/builtin_kinds.hpp"
#include "ctl/log.hpp"
#include "ctl/port_factory.hpp"
#include "ports/afpacket_port.hpp"
#include "ports/afxdp_port.hpp"
#include "ports/ethdev_port.hpp"
#include "ports/kernel_netdev.hpp"
#include "ports/tap_port.hpp"
#include "ports/veth_internal_port.hpp"
#include "ports/veth_pair.hpp"
#include "ports/vhost_port.hpp"
#include "tunnels/kernel_vxlan_port.hpp"
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
  auto ring = p.options.find("rx-ring");
  const ports::AfPacketOptions o{.rx_ring = ring != p.options.end() && ring->second == "true"};
  auto port = ports::AfPacketPort::open(p.name, ifname, ctx.pool, error, o);
  if (!port) return make_error(kErrInvalid, error);
  return std::shared_ptr<sw::Port>(std::move(port));
}

// The same kernel interfaces as system, through AF_XDP (options:ifname as for system).
Result<std::shared_ptr<sw::Port>> make_afxdp(const PortConfig& p, const PortContext& ctx) {
  auto it = p.options.find("ifname");
  const std::string ifname = it == p.options.end() ? p.name : it->second;
  std::string error;
  auto port = ports::AfXdpPort::open(p.name, ifname, ctx.pool, error);
  if (!port) return make_error(kErrInvalid, error);
  return std::shared_ptr<sw::Port>(std::move(port));
}

// The internal port's MAC, the same on every start of this host's daemon: a restart recreates the
// tap, and a new random MAC would leave the containers' ARP entries for their gateway stale for
// many seconds. Distinct per host (machine id), so bridges joined by tunnels do not collide.
std::string internal_port_mac(const std::string& port) {
  std::string host;
  std::ifstream id("/etc/machine-id");
  if (!(id >> host)) {
    char name[256] = {};
    ::gethostname(name, sizeof(name) - 1);
    host = name;
  }
  return derived_mac("U:lite-vswitch/" + host + "/" + port).value_or("");
}

// options:device (checked by the kind): the veth pair unless it says tap.
template <typename Device>
Result<std::shared_ptr<sw::Port>> make_internal_on(const PortConfig& p, const PortContext& ctx) {
  std::string error;
  auto port = Device::create(p.name, ctx.pool, error);
  if (!port) return make_error(kErrInvalid, error);
  if (auto e = ports::set_netdev_mac(p.name, internal_port_mac(p.name)); !e.empty())
    return make_error(kErrInvalid, "port " + p.name + ": " + e);
  // options:ip (validated by config.cpp): the host's address on the bridge, e.g. br0's gateway.
  if (auto ip = p.options.find(kIpOption); ip != p.options.end())
    if (auto list = parse_ip_list(ip->second))
      for (const auto& a : *list)
        if (auto e = port->add_ipv4(format_ipv4(a.addr) + "/" + std::to_string(a.prefix));
            !e.empty())
          return make_error(kErrInvalid, "port " + p.name + ": options:ip: " + e);
  return std::shared_ptr<sw::Port>(std::move(port));
}

bool internal_on_tap(const PortConfig& p) {
  auto it = p.options.find(kInternalDeviceOption);
  return it != p.options.end() && it->second == "tap";
}

Result<std::shared_ptr<sw::Port>> make_internal(const PortConfig& p, const PortContext& ctx) {
  return internal_on_tap(p) ? make_internal_on<ports::TapPort>(p, ctx)
                            : make_internal_on<ports::VethInternalPort>(p, ctx);
}

// dpdkvhostuser serves <run dir>/<port name>; dpdkvhostuserclient connects to
// options:vhost-server-path (checked by config.cpp) and reconnects when the peer restarts.
PortMaker make_vhost_user(bool client) {
  return
      [client](const PortConfig& p, const PortContext& ctx) -> Result<std::shared_ptr<sw::Port>> {
        ports::VhostUserOptions o;
        o.client = client;
        o.queues = ctx.queues;
        o.socket_path = client ? p.options.at(kVhostServerPath) : ctx.run_dir + "/" + p.name;
        std::string error;
        auto port = ports::VhostUserPort::open(p.name, o, ctx.pool, error);
        if (!port) return make_error(kErrInvalid, error);
        return std::shared_ptr<sw::Port>(std::move(port));
      };
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
    // VXLAN on the kernel's vxlan device unless other_config:kernel-tunnels=false; where the
    // kernel refuses the device or its programs, on UDP sockets (one log line).
    if (kind == tunnels::TunnelKind::kVxlan && config.underlay_port.empty() &&
        ctx.kernel_tunnels && tunnels::KernelVxlanDevice::available()) {
      bool device_failed = false;
      if (auto port = tunnels::KernelVxlanPort::open(p.name, config, ctx.pool, error,
                                                     device_failed))
        return std::shared_ptr<sw::Port>(std::move(port));
      if (!device_failed) return make_error(kErrInvalid, "port " + p.name + ": " + error);
      log_info("port " + p.name + ": VXLAN on UDP sockets (" + error + ")");
      error.clear();
    }
    auto port = tunnels::TunnelPort::open(p.name, config, ctx.pool, error, std::move(underlay));
    if (!port) return make_error(kErrInvalid, error);
    return std::shared_ptr<sw::Port>(std::move(port));
  };
}

// A tunnel leaving by a switch port decapsulates in front of that port's pipeline. The factory
// made the port, so it is a TunnelPort.
std::shared_ptr<sw::RxFilter> tunnel_underlay_filter(const sw::Port& port) {
  return static_cast<const tunnels::TunnelPort&>(port).underlay().rx_filter();
}

// mtu_request on a kernel interface: the one named by options:ifname (system, afxdp) or the port
// itself (internal, and the others without ifname).
Status set_kernel_mtu(const PortConfig& p, int mtu, const PortContext&) {
  auto it = p.options.find("ifname");
  const std::string ifname = it == p.options.end() ? p.name : it->second;
  if (auto e = ports::set_netdev_mtu(ifname, mtu); !e.empty()) return make_error(kErrInvalid, e);
  return std::nullopt;
}

// An internal port on a veth: its switch end gets the MTU too, else the kernel drops what the
// host sends above the switch end's MTU.
Status set_internal_mtu(const PortConfig& p, int mtu, const PortContext& ctx) {
  if (!internal_on_tap(p))
    if (auto e = ports::set_netdev_mtu(ports::internal_switch_end(p.name), mtu); !e.empty())
      return make_error(kErrInvalid, e);
  return set_kernel_mtu(p, mtu, ctx);
}

// afxdp: only what one mbuf of the pool carries (AfXdpPort::max_mtu).
Status set_afxdp_mtu(const PortConfig& p, int mtu, const PortContext& ctx) {
  if (static_cast<uint32_t>(mtu) > ports::AfXdpPort::max_mtu(ctx.pool))
    return make_error(kErrInvalid, "above the " +
                                       std::to_string(ports::AfXdpPort::max_mtu(ctx.pool)) +
                                       " an afxdp port carries");
  return set_kernel_mtu(p, mtu, ctx);
}

}  // namespace

void register_builtin_port_kinds(PortFactory& factory) {
  factory.add(kSystemPort, {.make = make_system, .set_mtu = set_kernel_mtu});
  factory.add(kInternalPort, {.make = make_internal, .set_mtu = set_internal_mtu});
  factory.add(kDpdkPort, {.make = make_dpdk});
  factory.add(kAfxdpPort, {.make = make_afxdp, .set_mtu = set_afxdp_mtu});
  factory.add(kVhostUserPort, {.make = make_vhost_user(false)});
  factory.add(kVhostUserClientPort, {.make = make_vhost_user(true)});
  factory.add(kVxlanPort, {.make = make_tunnel(tunnels::TunnelKind::kVxlan),
                           .underlay_filter = tunnel_underlay_filter});
  factory.add(kGrePort, {.make = make_tunnel(tunnels::TunnelKind::kGre),
                         .underlay_filter = tunnel_underlay_filter});
}

}  // namespace lvs::ctl
