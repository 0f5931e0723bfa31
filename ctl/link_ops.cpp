#include "ctl/link_ops.hpp"

#include <arpa/inet.h>
#include <linux/ethtool.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/veth.h>
#include <netlink/route/route.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <vector>

#include "ctl/netlink_handles.hpp"

namespace lvs::ctl {
namespace {

using netlink::nl_error;
using netlink::NlAddrPtr;
using netlink::Sock;

struct LinkDeleter {
  void operator()(rtnl_link* l) const { rtnl_link_put(l); }
};
using LinkPtr = std::unique_ptr<rtnl_link, LinkDeleter>;

Result<NlAddrPtr> mac_addr(const std::string& mac) {
  nl_addr* a = nullptr;
  if (int e = nl_addr_parse(mac.c_str(), AF_LLC, &a); e < 0) return nl_error("MAC " + mac, e);
  return NlAddrPtr(a);
}

Result<LinkPtr> get_link(Sock& sock, const std::string& name) {
  rtnl_link* l = nullptr;
  if (int e = rtnl_link_get_kernel(sock.s, 0, name.c_str(), &l); e < 0) return nl_error("interface " + name, e);
  return LinkPtr(l);
}

bool parse_mac_bytes(const std::string& mac, uint8_t out[6]) {
  unsigned v[6];
  if (std::sscanf(mac.c_str(), "%2x:%2x:%2x:%2x:%2x:%2x", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5]) != 6)
    return false;
  for (int i = 0; i < 6; ++i) out[i] = static_cast<uint8_t>(v[i]);
  return true;
}

}  // namespace

Status create_veth(const std::string& host, const std::string& peer, int peer_ns_fd, std::optional<int> mtu,
                   const std::string& peer_mac) {
  Sock sock;
  if (sock.err < 0) return nl_error("netlink", sock.err);
  LinkPtr link(rtnl_link_veth_alloc());
  if (!link) return make_error(kErrIo, "veth: out of memory");
  rtnl_link_set_name(link.get(), host.c_str());
  rtnl_link* p = rtnl_link_veth_get_peer(link.get());
  rtnl_link_set_name(p, peer.c_str());
  rtnl_link_set_ns_fd(p, peer_ns_fd);
  if (mtu) {
    rtnl_link_set_mtu(link.get(), static_cast<unsigned>(*mtu));
    rtnl_link_set_mtu(p, static_cast<unsigned>(*mtu));
  }
  if (!peer_mac.empty()) {
    auto a = mac_addr(peer_mac);
    if (!a) {
      rtnl_link_put(p);
      return a.error();
    }
    rtnl_link_set_addr(p, a->get());
  }
  rtnl_link_put(p);
  if (int e = rtnl_link_add(sock.s, link.get(), NLM_F_CREATE | NLM_F_EXCL); e < 0)
    return nl_error("cannot create veth pair " + host + " / " + peer, e);
  return std::nullopt;
}

bool link_exists(const std::string& name) { return ::if_nametoindex(name.c_str()) != 0; }

Status delete_link(const std::string& name) {
  Sock sock;
  if (sock.err < 0) return nl_error("netlink", sock.err);
  LinkPtr l(rtnl_link_alloc());
  rtnl_link_set_name(l.get(), name.c_str());
  const int e = rtnl_link_delete(sock.s, l.get());
  if (e < 0 && e != -NLE_NODEV && e != -NLE_OBJ_NOTFOUND) return nl_error("cannot delete " + name, e);
  return std::nullopt;
}

Status set_tx_offloads(const std::string& name, bool on) {
  const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return make_error(kErrIo, std::string("socket: ") + std::strerror(errno));
  // TSO needs scatter-gather, which needs checksum offload: on in that order, off the other way
  // (the kernel drops scatter-gather by itself once checksum offload is off).
  using Step = std::pair<uint32_t, const char*>;
  const std::vector<Step> steps =
      on ? std::vector<Step>{{ETHTOOL_STXCSUM, "tx checksum offload"},
                             {ETHTOOL_SSG, "scatter-gather"},
                             {ETHTOOL_STSO, "TSO"},
                             {ETHTOOL_SGSO, "GSO"}}
         : std::vector<Step>{{ETHTOOL_STSO, "TSO"},
                             {ETHTOOL_SGSO, "GSO"},
                             {ETHTOOL_STXCSUM, "tx checksum offload"}};
  for (const auto& [cmd, what] : steps) {
    ethtool_value v{cmd, on ? 1u : 0u};
    ifreq ifr{};
    std::strncpy(ifr.ifr_name, name.c_str(), IFNAMSIZ - 1);
    ifr.ifr_data = reinterpret_cast<char*>(&v);
    if (::ioctl(fd, SIOCETHTOOL, &ifr) != 0 && errno != EOPNOTSUPP) {
      const int err = errno;
      ::close(fd);
      return make_error(kErrIo, std::string("cannot turn ") + (on ? "on " : "off ") + what +
                                    " on " + name + ": " + std::strerror(err));
    }
  }
  ::close(fd);
  return std::nullopt;
}

Status configure_link(const std::string& name, std::optional<int> mtu, const std::string& mac, bool up) {
  Sock sock;
  if (sock.err < 0) return nl_error("netlink", sock.err);
  auto link = get_link(sock, name);
  if (!link) return link.error();
  LinkPtr change(rtnl_link_alloc());
  if (mtu) rtnl_link_set_mtu(change.get(), static_cast<unsigned>(*mtu));
  if (!mac.empty()) {
    auto a = mac_addr(mac);
    if (!a) return a.error();
    rtnl_link_set_addr(change.get(), a->get());
  }
  if (up) rtnl_link_set_flags(change.get(), IFF_UP);
  if (int e = rtnl_link_change(sock.s, link->get(), change.get(), 0); e < 0)
    return nl_error("cannot configure " + name, e);
  return std::nullopt;
}

Status configure_port_end(const std::string& name, std::optional<int> mtu) {
  Sock sock;
  if (sock.err < 0) return nl_error("netlink", sock.err);
  auto link = get_link(sock, name);
  if (!link) return link.error();
  LinkPtr change(rtnl_link_alloc());
  if (mtu) rtnl_link_set_mtu(change.get(), static_cast<unsigned>(*mtu));
  rtnl_link_set_flags(change.get(), IFF_UP | IFF_NOARP);
  if (int e = rtnl_link_change(sock.s, link->get(), change.get(), 0); e < 0)
    return nl_error("cannot configure " + name, e);
  return std::nullopt;
}

Result<std::vector<std::string>> link_names() {
  Sock sock;
  if (sock.err < 0) return nl_error("netlink", sock.err);
  nl_cache* cache = nullptr;
  if (int e = rtnl_link_alloc_cache(sock.s, AF_UNSPEC, &cache); e < 0) return nl_error("listing interfaces", e);
  std::vector<std::string> names;
  for (nl_object* o = nl_cache_get_first(cache); o; o = nl_cache_get_next(o))
    names.emplace_back(rtnl_link_get_name(reinterpret_cast<rtnl_link*>(o)));
  nl_cache_free(cache);
  return names;
}

Result<std::string> link_mac(const std::string& name) {
  Sock sock;
  if (sock.err < 0) return nl_error("netlink", sock.err);
  auto link = get_link(sock, name);
  if (!link) return link.error();
  nl_addr* a = rtnl_link_get_addr(link->get());
  if (!a) return make_error(kErrIo, "interface " + name + " has no MAC");
  char buf[64];
  return std::string(nl_addr2str(a, buf, sizeof(buf)));
}

Status add_address(const std::string& name, const Ipv4Prefix& address) {
  Sock sock;
  if (sock.err < 0) return nl_error("netlink", sock.err);
  const int ifindex = static_cast<int>(::if_nametoindex(name.c_str()));
  if (ifindex == 0) return make_error(kErrNotFound, "no interface named " + name);
  const uint32_t be = htonl(address.addr);
  NlAddrPtr local(nl_addr_build(AF_INET, &be, 4));
  nl_addr_set_prefixlen(local.get(), address.prefix);
  std::unique_ptr<rtnl_addr, void (*)(rtnl_addr*)> addr(rtnl_addr_alloc(), rtnl_addr_put);
  rtnl_addr_set_ifindex(addr.get(), ifindex);
  rtnl_addr_set_local(addr.get(), local.get());
  // As `ip addr add A/P brd +`: the subnet's broadcast address.
  const uint32_t bcast = htonl(address.prefix >= 31 ? 0xffffffffu : (address.addr | (~0u >> address.prefix)));
  NlAddrPtr brd(nl_addr_build(AF_INET, &bcast, 4));
  rtnl_addr_set_broadcast(addr.get(), brd.get());
  const int e = rtnl_addr_add(sock.s, addr.get(), 0);
  if (e < 0 && e != -NLE_EXIST)
    return nl_error("cannot add " + format_ipv4(address.addr) + "/" + std::to_string(address.prefix) + " to " + name, e);
  return std::nullopt;
}

Status replace_default_route(const std::string& name, uint32_t gateway) {
  Sock sock;
  if (sock.err < 0) return nl_error("netlink", sock.err);
  const int ifindex = static_cast<int>(::if_nametoindex(name.c_str()));
  if (ifindex == 0) return make_error(kErrNotFound, "no interface named " + name);
  std::unique_ptr<rtnl_route, void (*)(rtnl_route*)> route(rtnl_route_alloc(), rtnl_route_put);
  const uint32_t any = 0, gw = htonl(gateway);
  NlAddrPtr dst(nl_addr_build(AF_INET, &any, 4));
  nl_addr_set_prefixlen(dst.get(), 0);
  NlAddrPtr via(nl_addr_build(AF_INET, &gw, 4));
  rtnl_route_set_family(route.get(), AF_INET);
  rtnl_route_set_table(route.get(), RT_TABLE_MAIN);
  rtnl_route_set_protocol(route.get(), RTPROT_BOOT);
  rtnl_route_set_scope(route.get(), RT_SCOPE_UNIVERSE);
  rtnl_route_set_type(route.get(), RTN_UNICAST);
  rtnl_route_set_dst(route.get(), dst.get());
  rtnl_nexthop* nh = rtnl_route_nh_alloc();
  rtnl_route_nh_set_ifindex(nh, ifindex);
  rtnl_route_nh_set_gateway(nh, via.get());
  rtnl_route_add_nexthop(route.get(), nh);  // the route owns it now
  if (int e = rtnl_route_add(sock.s, route.get(), NLM_F_CREATE | NLM_F_REPLACE); e < 0)
    return nl_error("cannot set default route via " + format_ipv4(gateway) + " dev " + name, e);
  return std::nullopt;
}

Status send_gratuitous_arp(const std::string& name, uint32_t ip, const std::string& mac) {
  const int ifindex = static_cast<int>(::if_nametoindex(name.c_str()));
  uint8_t src[6];
  if (ifindex == 0 || !parse_mac_bytes(mac, src))
    return make_error(kErrNotFound, "gratuitous ARP: no interface " + name + " with MAC " + mac);
  const int fd = ::socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC, htons(ETH_P_ARP));
  if (fd < 0) return make_error(kErrIo, std::string("gratuitous ARP: socket: ") + std::strerror(errno));
  uint8_t arp[28] = {0, 1, 8, 0, 6, 4, 0, 1};  // Ethernet, IPv4, request
  const uint32_t be = htonl(ip);
  std::memcpy(arp + 8, src, 6);
  std::memcpy(arp + 14, &be, 4);
  std::memcpy(arp + 24, &be, 4);  // target = sender: "who has me?", answered by nobody
  sockaddr_ll to{};
  to.sll_family = AF_PACKET;
  to.sll_protocol = htons(ETH_P_ARP);
  to.sll_ifindex = ifindex;
  to.sll_halen = 6;
  std::memset(to.sll_addr, 0xff, 6);
  const ssize_t n = ::sendto(fd, arp, sizeof(arp), 0, reinterpret_cast<sockaddr*>(&to), sizeof(to));
  const int err = errno;
  ::close(fd);
  if (n != static_cast<ssize_t>(sizeof(arp)))
    return make_error(kErrIo, "gratuitous ARP on " + name + ": " + std::strerror(err));
  return std::nullopt;
}

}  // namespace lvs::ctl
