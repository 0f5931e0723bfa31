#include "ctl/route_ops.hpp"

#include <arpa/inet.h>
#include <net/if.h>
#include <netlink/route/addr.h>
#include <netlink/route/route.h>

#include <cstring>
#include <memory>

#include "ctl/netlink_handles.hpp"

namespace lvs::ctl {
namespace {

using netlink::nl_error;
using netlink::NlAddrPtr;
using netlink::CachePtr;
using netlink::Sock;

NlAddrPtr v4(uint32_t host_order, int prefix) {
  const uint32_t be = htonl(host_order);
  NlAddrPtr a(nl_addr_build(AF_INET, &be, 4));
  nl_addr_set_prefixlen(a.get(), prefix);
  return a;
}
uint32_t v4_of(nl_addr* a) {
  uint32_t be = 0;
  if (a && nl_addr_get_len(a) == 4) std::memcpy(&be, nl_addr_get_binary_addr(a), 4);
  return ntohl(be);
}

Result<int> ifindex_of(const std::string& name) {
  const int i = static_cast<int>(::if_nametoindex(name.c_str()));
  if (i == 0) return make_error(kErrNotFound, "no interface named " + name);
  return i;
}

}  // namespace

Status replace_route(const std::string& name, const Ipv4Prefix& dst, std::optional<uint32_t> gw) {
  Sock sock;
  if (sock.err < 0) return nl_error("netlink", sock.err);
  auto ifindex = ifindex_of(name);
  if (!ifindex) return ifindex.error();
  std::unique_ptr<rtnl_route, void (*)(rtnl_route*)> route(rtnl_route_alloc(), rtnl_route_put);
  NlAddrPtr to = v4(dst.network(), dst.prefix);
  rtnl_route_set_family(route.get(), AF_INET);
  rtnl_route_set_table(route.get(), RT_TABLE_MAIN);
  rtnl_route_set_protocol(route.get(), RTPROT_BOOT);
  rtnl_route_set_scope(route.get(), gw ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK);
  rtnl_route_set_type(route.get(), RTN_UNICAST);
  rtnl_route_set_dst(route.get(), to.get());
  rtnl_nexthop* nh = rtnl_route_nh_alloc();
  rtnl_route_nh_set_ifindex(nh, *ifindex);
  NlAddrPtr via;
  if (gw) {
    via = v4(*gw, 32);
    rtnl_route_nh_set_gateway(nh, via.get());
  }
  rtnl_route_add_nexthop(route.get(), nh);  // the route owns it now
  const std::string text = format_ipv4(dst.network()) + "/" + std::to_string(dst.prefix) +
                           (gw ? " via " + format_ipv4(*gw) : "") + " dev " + name;
  if (int e = rtnl_route_add(sock.s, route.get(), NLM_F_CREATE | NLM_F_REPLACE); e < 0)
    return nl_error("cannot add route " + text, e);
  return std::nullopt;
}

Result<std::vector<Ipv4Prefix>> ipv4_addresses(const std::string& name) {
  Sock sock;
  if (sock.err < 0) return nl_error("netlink", sock.err);
  auto ifindex = ifindex_of(name);
  if (!ifindex) return ifindex.error();
  nl_cache* raw = nullptr;
  if (int e = rtnl_addr_alloc_cache(sock.s, &raw); e < 0) return nl_error("listing addresses", e);
  CachePtr cache(raw);
  std::vector<Ipv4Prefix> out;
  for (nl_object* o = nl_cache_get_first(cache.get()); o; o = nl_cache_get_next(o)) {
    auto* a = reinterpret_cast<rtnl_addr*>(o);
    if (rtnl_addr_get_family(a) != AF_INET || rtnl_addr_get_ifindex(a) != *ifindex) continue;
    out.push_back({v4_of(rtnl_addr_get_local(a)), rtnl_addr_get_prefixlen(a)});
  }
  return out;
}

Result<bool> has_ipv4_route(const std::string& name, const Ipv4Prefix& dst,
                            std::optional<uint32_t> gw) {
  Sock sock;
  if (sock.err < 0) return nl_error("netlink", sock.err);
  auto ifindex = ifindex_of(name);
  if (!ifindex) return ifindex.error();
  nl_cache* raw = nullptr;
  if (int e = rtnl_route_alloc_cache(sock.s, AF_INET, 0, &raw); e < 0)
    return nl_error("listing routes", e);
  CachePtr cache(raw);
  for (nl_object* o = nl_cache_get_first(cache.get()); o; o = nl_cache_get_next(o)) {
    auto* r = reinterpret_cast<rtnl_route*>(o);
    if (rtnl_route_get_table(r) != RT_TABLE_MAIN) continue;
    nl_addr* d = rtnl_route_get_dst(r);
    const int plen = d ? static_cast<int>(nl_addr_get_prefixlen(d)) : 0;
    if (plen != dst.prefix || (plen > 0 && v4_of(d) != dst.network())) continue;
    for (int i = 0; i < rtnl_route_get_nnexthops(r); ++i) {
      rtnl_nexthop* nh = rtnl_route_nexthop_n(r, i);
      if (rtnl_route_nh_get_ifindex(nh) != *ifindex) continue;
      if (!gw || v4_of(rtnl_route_nh_get_gateway(nh)) == *gw) return true;
    }
  }
  return false;
}

}  // namespace lvs::ctl
