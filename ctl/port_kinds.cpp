// The port kinds built into this vswitchd. One registration per kind.
#include "ctl/port_factory.hpp"
#include "ports/ethdev_port.hpp"

namespace lvs::ctl {
namespace {

Result<std::shared_ptr<sw::Port>> make_dpdk(const PortConfig& p, const PortContext& ctx) {
  std::string error;
  auto port = ports::EthdevPort::open(p.name, p.options.at("dpdk-devargs"), ctx.queues, ctx.pool, error);
  if (!port) return make_error(kErrInvalid, error);
  return std::shared_ptr<sw::Port>(std::move(port));
}

}  // namespace

void register_builtin_port_kinds(PortFactory& factory) {
  factory.add("dpdk", make_dpdk);
  // system (AF_PACKET, ports/afpacket_port.hpp) and internal (tap, ports/tap_port.hpp) register
  // here when those kinds land.
}

}  // namespace lvs::ctl
