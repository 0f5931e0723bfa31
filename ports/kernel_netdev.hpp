#pragma once
// Control-path helpers for kernel network interfaces that ports attach to or create: status for
// PortStatus (link, MTU, MAC), bringing a link up, and adding an address (libnl-route-3). None of
// these is called on the fast path.
#include <cstdint>
#include <string>

#include "switch/port.hpp"

namespace lvs::ports {

// Link state (IFF_UP and IFF_RUNNING), MTU and MAC of the interface with this index. When it no
// longer exists, the status is down with error "interface <name> vanished".
sw::PortStatus query_netdev(int ifindex, const std::string& name);

// True when an interface with this index exists in the caller's network namespace.
bool netdev_exists(int ifindex);

// Sets IFF_UP. Returns an empty string on success, else what failed.
std::string set_netdev_up(const std::string& name);

// Sets the interface's MTU through rtnetlink. Returns an empty string on success, else what the
// kernel answered (e.g. a veth refuses MTUs above its limit).
std::string set_netdev_mtu(const std::string& name, int mtu);

// Sets the interface's MAC ("02:aa:bb:cc:dd:ee") through rtnetlink. Empty string on success.
std::string set_netdev_mac(const std::string& name, const std::string& mac);

// The two families BIG TCP sizes are set for: IPv4 (IFLA_GSO_IPV4_MAX_SIZE, Linux 6.3+) and
// IPv6 (IFLA_GSO_MAX_SIZE, Linux 5.19+, which is also the size of frames of no IP family).
enum class GsoFamily : uint8_t { kIpv4 = 0, kIpv6 = 1 };

// What rtnetlink says of interface `ifindex`: its kind ("veth", ...), the peer a veth is linked
// to (IFLA_LINK, in namespace link_netnsid when not -1), the largest TSO frame its driver takes
// and its GSO size per family (gso_size[GsoFamily]: BIG TCP above 65536; 0 when the kernel does
// not say).
struct NetdevLinkInfo {
  bool exists = false;
  std::string kind;
  int link = 0;
  int link_netnsid = -1;
  uint32_t tso_max_size = 0;
  uint32_t gso_size[2] = {0, 0};
  uint32_t gso_size_of(GsoFamily f) const { return gso_size[static_cast<int>(f)]; }
};
NetdevLinkInfo netdev_link_info(int ifindex);

// Sets the GSO and GRO sizes of interface `ifindex` of the calling thread's namespace, by
// family (IFLA_GSO_IPV4_MAX_SIZE and IFLA_GRO_IPV4_MAX_SIZE; IFLA_GSO_MAX_SIZE and
// IFLA_GRO_MAX_SIZE), in one request; a size of 0 is not sent. Both at once, as the kernel
// lowers the IPv4 sizes with the IPv6 ones below them, but applies the IPv6 ones first: an
// IPv4 size sent beside stays. Empty string on success, else what the kernel answered.
std::string set_netdev_gso_max_sizes(int ifindex, const uint32_t (&size)[2]);

// The id the caller's namespace gives the namespace open at `netns_fd` (what IFLA_LINK_NETNSID
// names a veth peer's by); -1 when it has none.
int netns_id_of(int netns_fd);

// Adds `cidr` ("172.17.0.1/16") to the interface through rtnetlink; an address already there is
// not an error. Returns an empty string on success, else what failed.
std::string add_ipv4_address(int ifindex, const std::string& cidr);

}  // namespace lvs::ports
