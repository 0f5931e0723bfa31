#pragma once
// The routes and addresses the CNI plugin sets and checks inside a container, through
// rtnetlink (libnl-route-3) in the calling thread's namespace (run them through run_in_netns()).
// link_ops.hpp has the links, the addresses vsattach adds and the default route.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "ctl/config.hpp"
#include "ctl/error.hpp"

namespace lvs::ctl {

// `DST [via GW] dev NAME` in the main table, replacing one to the same destination; without a
// gateway a link-scope route.
Status replace_route(const std::string& name, const Ipv4Prefix& dst, std::optional<uint32_t> gw);
// The IPv4 addresses on NAME.
Result<std::vector<Ipv4Prefix>> ipv4_addresses(const std::string& name);
// Whether the main table has DST [via GW] out of NAME.
Result<bool> has_ipv4_route(const std::string& name, const Ipv4Prefix& dst,
                            std::optional<uint32_t> gw);

}  // namespace lvs::ctl
