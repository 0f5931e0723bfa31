// system: an existing kernel interface (a container's veth host end, the host's uplink) through
// AF_PACKET; options:ifname when it differs from the port's name (Open vSwitch's default kind);
// options:rx-ring=true receives through a TPACKET_V2 ring instead of recvmmsg (ports/README.md).
#include "ctl/kinds/builtin_kinds.hpp"

namespace lvs::ctl {
namespace {

Status check_system(const PortConfig& p, const std::string& at) {
  return check_option_choice(p, at, "rx-ring", "true", "false");
}

}  // namespace

const PortKind kSystemPort{
    .name = "system", .options = "ifname rx-ring", .check_options = check_system};

}  // namespace lvs::ctl
