#include "tunnels/route_lookup.hpp"

#include <linux/rtnetlink.h>
#include <netlink/addr.h>
#include <netlink/netlink.h>
#include <netlink/route/route.h>
#include <sys/socket.h>

#include <cstring>
#include <memory>

#include "tunnels/tunnel_config.hpp"

namespace lvs::tunnels {

std::optional<Route> lookup_route(uint32_t dst, std::string& error) {
  const std::string what = "no route to " + ipv4_to_string(dst);
  std::unique_ptr<nl_sock, decltype(&nl_socket_free)> sock(nl_socket_alloc(), nl_socket_free);
  if (!sock || nl_connect(sock.get(), NETLINK_ROUTE) != 0) {
    error = what + ": cannot open a netlink socket";
    return std::nullopt;
  }
  std::unique_ptr<nl_addr, decltype(&nl_addr_put)> addr(nl_addr_build(AF_INET, &dst, 4),
                                                        nl_addr_put);
  rtnl_route* raw = nullptr;
  if (!addr) {
    error = what + ": out of memory";
    return std::nullopt;
  }
  if (const int rc = rtnl_route_lookup(sock.get(), addr.get(), &raw); rc < 0 || raw == nullptr) {
    error = what + ": " + nl_geterror(rc);
    return std::nullopt;
  }
  std::unique_ptr<rtnl_route, decltype(&rtnl_route_put)> route(raw, rtnl_route_put);
  if (rtnl_route_get_type(route.get()) != RTN_UNICAST) {
    error = what + " through an interface (it is local, or the route is not unicast)";
    return std::nullopt;
  }
  Route r;
  r.next_hop = dst;
  if (rtnl_route_get_nnexthops(route.get()) > 0) {
    rtnl_nexthop* nh = rtnl_route_nexthop_n(route.get(), 0);
    r.ifindex = rtnl_route_nh_get_ifindex(nh);
    if (nl_addr* gw = rtnl_route_nh_get_gateway(nh);
        gw != nullptr && nl_addr_get_family(gw) == AF_INET && nl_addr_get_len(gw) == 4)
      std::memcpy(&r.next_hop, nl_addr_get_binary_addr(gw), 4);
  }
  return r;
}

}  // namespace lvs::tunnels
