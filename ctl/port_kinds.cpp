// The port kinds built into this vswitchd. One registration per kind.
#include "ctl/port_factory.hpp"
#include "ports/afpacket_port.hpp"
#include "ports/ethdev_port.hpp"
#include "ports/tap_port.hpp"

namespace lvs::ctl {
namespace {

Result<std::shared_ptr<sw::Port>> make_dpdk(const PortConfig& p, const PortContext& ctx) {
  std::string error;
  auto port = ports::EthdevPort::open(p.name, p.options.at("dpdk-devargs"), ctx.queues, ctx.pool, error);
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
  return std::shared_ptr<sw::Port>(std::move(port));
}

}  // namespace

void register_builtin_port_kinds(PortFactory& factory) {
  factory.add("dpdk", make_dpdk);
  factory.add("system", make_system);
  factory.add("internal", make_internal);
}

}  // namespace lvs::ctl
