#include "ports/kernel_netdev.hpp"

#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

namespace lvs::ports {
namespace {

// Any socket will do for SIOCGIF*; this one lives only for the call.
class IoctlSocket {
 public:
  IoctlSocket() : fd_(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) {}
  ~IoctlSocket() {
    if (fd_ >= 0) close(fd_);
  }
  IoctlSocket(const IoctlSocket&) = delete;
  IoctlSocket& operator=(const IoctlSocket&) = delete;
  int fd() const { return fd_; }

 private:
  int fd_;
};

ifreq make_ifreq(const std::string& name) {
  ifreq r{};
  std::strncpy(r.ifr_name, name.c_str(), IFNAMSIZ - 1);
  return r;
}

// Not in Debian 12's 6.1 uapi headers (linux/if_link.h): added in Linux 6.3.
constexpr uint16_t kIflaGsoIpv4MaxSize = 63;

// One rtnetlink request on a socket of its own; `reply` gets the first answer.
bool rtnl_request(const void* req, size_t len, char* reply, size_t cap, ssize_t& got) {
  const int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (fd < 0) return false;
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  const bool sent = sendto(fd, req, len, 0, reinterpret_cast<sockaddr*>(&kernel), sizeof(kernel)) ==
                    static_cast<ssize_t>(len);
  got = sent ? recv(fd, reply, cap, 0) : -1;
  close(fd);
  return got >= static_cast<ssize_t>(sizeof(nlmsghdr));
}

struct LinkRequest {
  nlmsghdr nh;
  ifinfomsg ifi;
};

}  // namespace

uint32_t netdev_gso_ipv4_max_size(int ifindex) {
  LinkRequest r{};
  r.nh.nlmsg_len = NLMSG_LENGTH(sizeof(ifinfomsg));
  r.nh.nlmsg_type = RTM_GETLINK;
  r.nh.nlmsg_flags = NLM_F_REQUEST;
  r.ifi.ifi_family = AF_UNSPEC;
  r.ifi.ifi_index = ifindex;
  alignas(nlmsghdr) static thread_local char reply[32768];
  ssize_t got = 0;
  if (!rtnl_request(&r, r.nh.nlmsg_len, reply, sizeof(reply), got)) return 0;
  const auto* nh = reinterpret_cast<const nlmsghdr*>(reply);
  if (!NLMSG_OK(nh, static_cast<unsigned>(got)) || nh->nlmsg_type != RTM_NEWLINK) return 0;
  int left = static_cast<int>(nh->nlmsg_len) - static_cast<int>(NLMSG_LENGTH(sizeof(ifinfomsg)));
  const auto* a = reinterpret_cast<const rtattr*>(static_cast<const char*>(NLMSG_DATA(nh)) +
                                                   NLMSG_ALIGN(sizeof(ifinfomsg)));
  for (; RTA_OK(a, left); a = RTA_NEXT(a, left))
    if (a->rta_type == kIflaGsoIpv4MaxSize && RTA_PAYLOAD(a) >= sizeof(uint32_t)) {
      uint32_t v;
      std::memcpy(&v, RTA_DATA(a), sizeof(v));
      return v;
    }
  return 0;
}

bool netdev_exists(int ifindex) {
  char buf[IF_NAMESIZE];
  return ifindex > 0 && if_indextoname(static_cast<unsigned>(ifindex), buf) != nullptr;
}

sw::PortStatus query_netdev(int ifindex, const std::string& name) {
  sw::PortStatus s;
  char buf[IF_NAMESIZE];
  if (ifindex <= 0 || if_indextoname(static_cast<unsigned>(ifindex), buf) == nullptr) {
    s.link_up = false;
    s.error = "interface " + name + " vanished";
    return s;
  }
  IoctlSocket sock;
  ifreq r = make_ifreq(buf);  // the current name: the interface may have been renamed
  if (ioctl(sock.fd(), SIOCGIFFLAGS, &r) == 0)
    s.link_up = (r.ifr_flags & IFF_UP) && (r.ifr_flags & IFF_RUNNING);
  r = make_ifreq(buf);
  if (ioctl(sock.fd(), SIOCGIFMTU, &r) == 0) s.mtu = static_cast<uint32_t>(r.ifr_mtu);
  r = make_ifreq(buf);
  if (ioctl(sock.fd(), SIOCGIFHWADDR, &r) == 0) {
    const auto* a = reinterpret_cast<const unsigned char*>(r.ifr_hwaddr.sa_data);
    char mac[18];
    std::snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x", a[0], a[1], a[2], a[3], a[4],
                  a[5]);
    s.mac = mac;
  }
  return s;
}

std::string set_netdev_up(const std::string& name) {
  IoctlSocket sock;
  ifreq r = make_ifreq(name);
  if (ioctl(sock.fd(), SIOCGIFFLAGS, &r) != 0)
    return "cannot read flags of " + name + ": " + std::strerror(errno);
  r.ifr_flags = static_cast<short>(r.ifr_flags | IFF_UP);
  if (ioctl(sock.fd(), SIOCSIFFLAGS, &r) != 0)
    return "cannot bring " + name + " up: " + std::strerror(errno);
  return {};
}

std::string set_netdev_mtu(const std::string& name, int mtu) {
  std::unique_ptr<nl_sock, decltype(&nl_socket_free)> sock(nl_socket_alloc(), nl_socket_free);
  if (!sock || nl_connect(sock.get(), NETLINK_ROUTE) != 0) return "cannot open rtnetlink";
  rtnl_link* current = nullptr;
  if (int rc = rtnl_link_get_kernel(sock.get(), 0, name.c_str(), &current); rc < 0)
    return "no interface " + name + ": " + nl_geterror(rc);
  std::unique_ptr<rtnl_link, decltype(&rtnl_link_put)> current_guard(current, rtnl_link_put);
  std::unique_ptr<rtnl_link, decltype(&rtnl_link_put)> change(rtnl_link_alloc(), rtnl_link_put);
  rtnl_link_set_mtu(change.get(), static_cast<unsigned>(mtu));
  if (int rc = rtnl_link_change(sock.get(), current, change.get(), 0); rc < 0)
    return "cannot set the MTU of " + name + " to " + std::to_string(mtu) + ": " + nl_geterror(rc);
  return {};
}

std::string set_netdev_mac(const std::string& name, const std::string& mac) {
  std::unique_ptr<nl_sock, decltype(&nl_socket_free)> sock(nl_socket_alloc(), nl_socket_free);
  if (!sock || nl_connect(sock.get(), NETLINK_ROUTE) != 0) return "cannot open rtnetlink";
  nl_addr* addr = nullptr;
  if (nl_addr_parse(mac.c_str(), AF_LLC, &addr) != 0) return "bad MAC '" + mac + "'";
  std::unique_ptr<nl_addr, decltype(&nl_addr_put)> addr_guard(addr, nl_addr_put);
  rtnl_link* current = nullptr;
  if (int rc = rtnl_link_get_kernel(sock.get(), 0, name.c_str(), &current); rc < 0)
    return "no interface " + name + ": " + nl_geterror(rc);
  std::unique_ptr<rtnl_link, decltype(&rtnl_link_put)> current_guard(current, rtnl_link_put);
  std::unique_ptr<rtnl_link, decltype(&rtnl_link_put)> change(rtnl_link_alloc(), rtnl_link_put);
  rtnl_link_set_addr(change.get(), addr);
  if (int rc = rtnl_link_change(sock.get(), current, change.get(), 0); rc < 0)
    return "cannot set the MAC of " + name + ": " + nl_geterror(rc);
  return {};
}

std::string add_ipv4_address(int ifindex, const std::string& cidr) {
  std::unique_ptr<nl_sock, decltype(&nl_socket_free)> sock(nl_socket_alloc(), nl_socket_free);
  if (!sock || nl_connect(sock.get(), NETLINK_ROUTE) != 0) return "cannot open rtnetlink";
  nl_addr* local = nullptr;
  if (nl_addr_parse(cidr.c_str(), AF_INET, &local) != 0) return "bad IPv4 address '" + cidr + "'";
  std::unique_ptr<nl_addr, decltype(&nl_addr_put)> local_guard(local, nl_addr_put);
  std::unique_ptr<rtnl_addr, decltype(&rtnl_addr_put)> addr(rtnl_addr_alloc(), rtnl_addr_put);
  rtnl_addr_set_ifindex(addr.get(), ifindex);
  rtnl_addr_set_family(addr.get(), AF_INET);
  rtnl_addr_set_prefixlen(addr.get(), static_cast<int>(nl_addr_get_prefixlen(local)));
  if (rtnl_addr_set_local(addr.get(), local) != 0) return "bad IPv4 address '" + cidr + "'";
  const int rc = rtnl_addr_add(sock.get(), addr.get(), 0);
  if (rc != 0 && rc != -NLE_EXIST) return "cannot add " + cidr + ": " + nl_geterror(rc);
  return {};
}

}  // namespace lvs::ports
