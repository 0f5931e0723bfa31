// system: an existing kernel interface (a container's veth host end, the host's uplink) through
// AF_PACKET; options:ifname when it differs from the port's name (Open vSwitch's default kind);
// options:rx-ring=true receives through a TPACKET_V2 ring instead of recvmmsg (ports/README.md).
#include "ctl/kinds/builtin_kinds.hpp"

namespace lvs::ctl {
namespace {

Status check_system(const PortConfig& p, const std::string& at) {
  if (auto it = p.options.find("rx-ring"); it != p.options.end() && it->second != "true" &&
                                           it->second != "false")
    return make_error(kErrInvalid,
                      at + "options:rx-ring must be true or false, not '" + it->second + "'");
  return std::nullopt;
}

}  // namespace

const PortKind kSystemPort{
    .name = "system", .options = "ifname rx-ring", .check_options = check_system};

}  // namespace lvs::ctl
