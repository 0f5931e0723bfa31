#pragma once
// The kinds built into this switch, one descriptor each (ctl/kinds/*.cpp).
#include "ctl/port_kind.hpp"

namespace lvs::ctl {

extern const PortKind kSystemPort;          // system_kind.cpp: an existing kernel interface
extern const PortKind kInternalPort;        // internal_kind.cpp: the bridge's own host interface
// options:device of an internal port: "tap" (the default) or "veth".
inline constexpr const char* kInternalDeviceOption = "device";
extern const PortKind kDpdkPort;            // dpdk_kind.cpp: any DPDK port by devargs
extern const PortKind kAfxdpPort;           // afxdp_kind.cpp: a kernel interface through AF_XDP
extern const PortKind kVhostUserPort;       // vhost_user_kinds.cpp: serves a vhost-user socket
extern const PortKind kVhostUserClientPort;  // vhost_user_kinds.cpp: connects to one
extern const PortKind kVxlanPort;           // tunnel_kinds.cpp
extern const PortKind kGrePort;             // tunnel_kinds.cpp

}  // namespace lvs::ctl
