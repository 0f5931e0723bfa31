#pragma once
// The kernel's route towards an IPv4 address, asked through libnl-3 (RTM_GETROUTE, as
// `ip route get` does) in the calling thread's network namespace: the next hop whose MAC the
// port underlay must resolve (the route's gateway, or the address itself when on-link).
#include <cstdint>
#include <optional>
#include <string>

namespace lvs::tunnels {

struct Route {
  uint32_t next_hop = 0;  // network order
  int ifindex = 0;        // the route's output interface (informational)
};

// nullopt and `error` ("no route to 10.0.0.9: ...") when the kernel has none or it is local.
std::optional<Route> lookup_route(uint32_t dst, std::string& error);

}  // namespace lvs::tunnels
