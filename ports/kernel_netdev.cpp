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

// Not in Debian 12's 6.1 uapi headers (linux/if_link.h): added in Linux 6.3; and 6.1's
// IFLA_TSO_MAX_SIZE, spelt out beside them.
constexpr uint16_t kIflaTsoMaxSize = 59;
constexpr uint16_t kIflaGsoIpv4MaxSize = 63;
constexpr uint16_t kIflaGroIpv4MaxSize = 64;
// The IPv6 (and non-IP) sizes: IFLA_GSO_MAX_SIZE and IFLA_GRO_MAX_SIZE.
constexpr uint16_t kIflaGsoMaxSize = 41;
constexpr uint16_t kIflaGroMaxSize = 58;

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

NetdevLinkInfo netdev_link_info(int ifindex) {
  NetdevLinkInfo info;
  LinkRequest r{};
  r.nh.nlmsg_len = NLMSG_LENGTH(sizeof(ifinfomsg));
  r.nh.nlmsg_type = RTM_GETLINK;
  r.nh.nlmsg_flags = NLM_F_REQUEST;
  r.ifi.ifi_family = AF_UNSPEC;
  r.ifi.ifi_index = ifindex;
  alignas(nlmsghdr) static thread_local char reply[32768];
  ssize_t got = 0;
  if (!rtnl_request(&r, r.nh.nlmsg_len, reply, sizeof(reply), got)) return info;
  const auto* nh = reinterpret_cast<const nlmsghdr*>(reply);
  if (!NLMSG_OK(nh, static_cast<unsigned>(got)) || nh->nlmsg_type != RTM_NEWLINK) return info;
  info.exists = true;
  int left = static_cast<int>(nh->nlmsg_len) - static_cast<int>(NLMSG_LENGTH(sizeof(ifinfomsg)));
  const auto* a = reinterpret_cast<const rtattr*>(static_cast<const char*>(NLMSG_DATA(nh)) +
                                                   NLMSG_ALIGN(sizeof(ifinfomsg)));
  auto u32 = [](const rtattr* x) {
    uint32_t v = 0;
    if (RTA_PAYLOAD(x) >= sizeof(v)) std::memcpy(&v, RTA_DATA(x), sizeof(v));
    return v;
  };
  for (; RTA_OK(a, left); a = RTA_NEXT(a, left)) {
    switch (a->rta_type) {
      case IFLA_LINK: info.link = static_cast<int>(u32(a)); break;
      case IFLA_LINK_NETNSID: info.link_netnsid = static_cast<int>(u32(a)); break;
      case kIflaTsoMaxSize: info.tso_max_size = u32(a); break;
      case kIflaGsoIpv4MaxSize:
        info.gso_size[static_cast<int>(GsoFamily::kIpv4)] = u32(a);
        break;
      case kIflaGsoMaxSize:
        info.gso_size[static_cast<int>(GsoFamily::kIpv6)] = u32(a);
        break;
      case IFLA_LINKINFO: {
        int in = static_cast<int>(RTA_PAYLOAD(a));
        for (const auto* k = static_cast<const rtattr*>(RTA_DATA(a)); RTA_OK(k, in); k = RTA_NEXT(k, in))
          if (k->rta_type == IFLA_INFO_KIND)
            info.kind.assign(static_cast<const char*>(RTA_DATA(k)), strnlen(static_cast<const char*>(RTA_DATA(k)), RTA_PAYLOAD(k)));
        break;
      }
      default: break;
    }
  }
  return info;
}

std::string set_netdev_gso_max_sizes(int ifindex, const uint32_t (&size)[2]) {
  struct {
    nlmsghdr nh;
    ifinfomsg ifi;
    char attrs[64];
  } r{};
  r.nh.nlmsg_len = NLMSG_LENGTH(sizeof(ifinfomsg));
  r.nh.nlmsg_type = RTM_SETLINK;
  r.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
  r.ifi.ifi_family = AF_UNSPEC;
  r.ifi.ifi_index = ifindex;
  auto add = [&r](uint16_t type, uint32_t v) {
    auto* at = reinterpret_cast<rtattr*>(reinterpret_cast<char*>(&r) + NLMSG_ALIGN(r.nh.nlmsg_len));
    at->rta_type = type;
    at->rta_len = RTA_LENGTH(sizeof(v));
    std::memcpy(RTA_DATA(at), &v, sizeof(v));
    r.nh.nlmsg_len = NLMSG_ALIGN(r.nh.nlmsg_len) + RTA_ALIGN(at->rta_len);
  };
  if (const uint32_t v6 = size[static_cast<int>(GsoFamily::kIpv6)]) {
    add(kIflaGsoMaxSize, v6);
    add(kIflaGroMaxSize, v6);
  }
  if (const uint32_t v4 = size[static_cast<int>(GsoFamily::kIpv4)]) {
    add(kIflaGsoIpv4MaxSize, v4);
    add(kIflaGroIpv4MaxSize, v4);
  }
  alignas(nlmsghdr) char reply[1024];
  ssize_t got = 0;
  if (!rtnl_request(&r, r.nh.nlmsg_len, reply, sizeof(reply), got))
    return std::string("rtnetlink: ") + std::strerror(errno);
  const auto* nh = reinterpret_cast<const nlmsghdr*>(reply);
  if (nh->nlmsg_type == NLMSG_ERROR) {
    const int err = static_cast<const nlmsgerr*>(NLMSG_DATA(nh))->error;
    if (err != 0) return std::strerror(-err);
  }
  return "";
}

int netns_id_of(int netns_fd) {
  struct {
    nlmsghdr nh;
    rtgenmsg g;
    char pad[3];
    rtattr fd_attr;
    uint32_t fd;
  } r{};
  r.nh.nlmsg_len = sizeof(r);
  r.nh.nlmsg_type = RTM_GETNSID;
  r.nh.nlmsg_flags = NLM_F_REQUEST;
  r.g.rtgen_family = AF_UNSPEC;
  r.fd_attr.rta_type = 3;  // NETNSA_FD
  r.fd_attr.rta_len = RTA_LENGTH(sizeof(uint32_t));
  r.fd = static_cast<uint32_t>(netns_fd);
  alignas(nlmsghdr) char reply[256];
  ssize_t got = 0;
  if (!rtnl_request(&r, sizeof(r), reply, sizeof(reply), got)) return -1;
  const auto* nh = reinterpret_cast<const nlmsghdr*>(reply);
  if (!NLMSG_OK(nh, static_cast<unsigned>(got)) || nh->nlmsg_type != RTM_NEWNSID) return -1;
  int left = static_cast<int>(nh->nlmsg_len) - static_cast<int>(NLMSG_LENGTH(sizeof(rtgenmsg)));
  const auto* a = reinterpret_cast<const rtattr*>(static_cast<const char*>(NLMSG_DATA(nh)) +
                                                   NLMSG_ALIGN(sizeof(rtgenmsg)));
  for (; RTA_OK(a, left); a = RTA_NEXT(a, left))
    if (a->rta_type == 1 && RTA_PAYLOAD(a) >= sizeof(int32_t)) {  // NETNSA_NSID
      int32_t id;
      std::memcpy(&id, RTA_DATA(a), sizeof(id));
      return id;
    }
  return -1;
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
