#include "ports/veth_pair.hpp"

#include <net/if.h>
#include <netlink/netlink.h>
#include <netlink/route/link.h>
#include <netlink/route/link/veth.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>

namespace lvs::ports {
namespace {

using SockPtr = std::unique_ptr<nl_sock, decltype(&nl_socket_free)>;
using LinkPtr = std::unique_ptr<rtnl_link, decltype(&rtnl_link_put)>;

SockPtr connect_route() {
  SockPtr sock(nl_socket_alloc(), nl_socket_free);
  if (sock && nl_connect(sock.get(), NETLINK_ROUTE) != 0) sock.reset();
  return sock;
}

}  // namespace

std::string internal_switch_end(const std::string& name) {
  uint32_t h = 2166136261u;  // FNV-1a
  for (unsigned char c : name) h = (h ^ c) * 16777619u;
  char out[16];
  std::snprintf(out, sizeof(out), "lvi%08x", h);
  return out;
}

std::string create_veth_pair(const std::string& host, const std::string& peer) {
  SockPtr sock = connect_route();
  if (!sock) return "cannot open rtnetlink";
  LinkPtr link(rtnl_link_veth_alloc(), rtnl_link_put);
  if (!link) return "veth: out of memory";
  rtnl_link_set_name(link.get(), host.c_str());
  rtnl_link* p = rtnl_link_veth_get_peer(link.get());
  rtnl_link_set_name(p, peer.c_str());
  rtnl_link_put(p);
  if (int rc = rtnl_link_add(sock.get(), link.get(), NLM_F_CREATE | NLM_F_EXCL); rc < 0)
    return "cannot create veth pair " + host + " / " + peer + ": " + nl_geterror(rc);
  return "";
}

bool is_veth_pair(const std::string& host, const std::string& peer) {
  SockPtr sock = connect_route();
  if (!sock) return false;
  rtnl_link* l = nullptr;
  if (rtnl_link_get_kernel(sock.get(), 0, host.c_str(), &l) < 0) return false;
  LinkPtr guard(l, rtnl_link_put);
  const char* type = rtnl_link_get_type(l);
  if (type == nullptr || std::strcmp(type, "veth") != 0) return false;
  char name[IF_NAMESIZE] = {};
  const int peer_index = rtnl_link_get_link(l);  // IFLA_LINK: a veth's peer
  return peer_index > 0 && if_indextoname(static_cast<unsigned>(peer_index), name) != nullptr &&
         peer == name;
}

std::string delete_netdev(const std::string& name) {
  SockPtr sock = connect_route();
  if (!sock) return "cannot open rtnetlink";
  LinkPtr l(rtnl_link_alloc(), rtnl_link_put);
  rtnl_link_set_name(l.get(), name.c_str());
  const int rc = rtnl_link_delete(sock.get(), l.get());
  if (rc < 0 && rc != -NLE_NODEV && rc != -NLE_OBJ_NOTFOUND)
    return "cannot delete " + name + ": " + nl_geterror(rc);
  return "";
}

NetdevRemover::NetdevRemover() : sock_(connect_route().release()) {}

NetdevRemover::~NetdevRemover() {
  if (sock_ != nullptr) nl_socket_free(sock_);
}

std::string NetdevRemover::remove(int ifindex, const std::string& name) {
  if (sock_ == nullptr) return "cannot open rtnetlink";
  LinkPtr l(rtnl_link_alloc(), rtnl_link_put);
  rtnl_link_set_ifindex(l.get(), ifindex);
  const int rc = rtnl_link_delete(sock_, l.get());
  if (rc < 0 && rc != -NLE_NODEV && rc != -NLE_OBJ_NOTFOUND)
    return "cannot delete " + name + ": " + nl_geterror(rc);
  return "";
}

}  // namespace lvs::ports
