// afxdp: the same kernel interfaces as system, through AF_XDP (options:ifname as for system).
#include "ctl/kinds/builtin_kinds.hpp"

namespace lvs::ctl {

const PortKind kAfxdpPort{.name = "afxdp", .options = "ifname"};

}  // namespace lvs::ctl
