#pragma once
// vsattach's three actions (attach_args.hpp has the command line). Each returns the lines to
// print, or an error naming what was wrong; the switch is changed only through the control
// socket, as one vsctl transaction.
//
// attach: resolve the container's namespace, create the veth pair (container end made inside the
// namespace under its final name), set MTU/MAC/address/default route, bring both ends up, add the
// host end to the bridge with its VLAN tag and the container's external_ids (container_id,
// container_iface, container_netns, container_ip, publish), then send a gratuitous ARP. Every step
// is "make it so", so a second run changes nothing; a failure undoes the veth this run created.
#include <string>

#include "ctl/attach_args.hpp"
#include "ctl/error.hpp"

namespace lvs::ctl {

Result<std::string> run_attach(const AttachArgs& args);
Result<std::string> run_detach(const AttachArgs& args);
Result<std::string> run_gc(const AttachArgs& args);

}  // namespace lvs::ctl
