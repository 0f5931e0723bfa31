// system: an existing kernel interface (a container's veth host end, the host's uplink) through
// AF_PACKET; options:ifname when it differs from the port's name (Open vSwitch's default kind).
#include "ctl/kinds/builtin_kinds.hpp"

namespace lvs::ctl {

const PortKind kSystemPort{.name = "system", .options = "ifname"};

}  // namespace lvs::ctl
