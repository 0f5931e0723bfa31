#pragma once
// BIG TCP on the veths of system ports (ports/big_tcp.hpp), decided by the daemon after every
// commit and when the default routes' verdict changes (checked every second), whoever made the
// veth (vsattach, the CNI plugin, the Docker driver, a user's own): both ends get
// kBigTcpGsoSize, per IP family (IPv4: gso_ipv4_max_size, IPv6: gso_max_size, with the GRO
// size beside each), where that family's frames can only meet what takes them whole, and 65536
// again when that stops being so.
//
// Taken whole: another container's veth and the host through the veth internal port (the
// kernel offload carries them as they are), and the switch's own path (the port cuts them into
// 64 KiB pieces, IPv6 ones without their jumbo header). Not: a kernel tunnel device (the kernel
// cuts a frame over its 64 KiB limit into MSS-sized packets before encapsulating, one by one:
// VXLAN TCP fell from 9.4 to 3.3 Gbit/s here), nor a NIC that takes no TSO frame over 64 KiB
// (the same cut, in software, before the driver). So a bridge gets it for a family when
//   - Open_vSwitch other_config:big-tcp is not false,
//   - it has no port of a kind that encapsulates (vxlan, gre: PortKind::mtu_overhead), and
//   - every default route of that family in the daemon's namespace (/proc/net/route,
//     /proc/net/ipv6_route) leaves by a device taking TSO frames over 64 KiB
//     (IFLA_TSO_MAX_SIZE; a veth does, virtio-net does not), or there is none.
// One verdict per family, not one for both: a family's frames leave only by its own routes, and
// the two often differ (an IPv6 default route by a 6in4 tunnel or a second NIC, or none at all
// beside an IPv4 one by a NIC; the kernel keeps the two sizes apart too).
// A port is told first (AfPacketPort::expect_big_frames), then its veth's ends change. A
// connection keeps the size it started with; new ones take the new size. Sizes the daemon did
// not set (neither 65536 nor kBigTcpGsoSize) are left alone.
#include <array>
#include <map>
#include <memory>
#include <set>
#include <string>

#include "ctl/config.hpp"
#include "switch/port.hpp"

namespace lvs::ctl {

class BigTcpSync {
 public:
  void commit(const Config& config, const std::map<std::string, std::shared_ptr<sw::Port>>& open);
  // Whether the default routes' verdict changed since the last commit (a NIC or route that came
  // up after the daemon): the daemon loop asks every second and commits again when it did.
  bool uplinks_changed() const;

 private:
  // What each port's veth was left at, by the port it was (a reopened port is looked at again):
  // a commit asks the kernel only about ports that are new or whose size is to change, so adding
  // ports one transaction at a time stays linear.
  struct Done {
    const sw::Port* port;
    int ifindex;  // with the port: a port reopened at the same address on a new veth differs
    std::array<uint32_t, 2> size;  // by ports::GsoFamily
  };
  std::map<std::string, Done> done_;
  // The last commit's verdicts, by family: uplink_without_big_tso(), uplink6_without_big_tso().
  std::array<std::string, 2> narrow_uplink_;
  std::set<std::string> warned_;  // ports whose veth refused, logged once
};

// The first IPv4 default route's interface in /proc/net/route-format text `routes` whose TSO
// limit (`tso_max_size(name)`) is 64 KiB or less (or unknown); empty when every one takes more,
// or there is none.
std::string uplink_without_big_tso(const std::string& routes, uint32_t (*tso_max_size)(const std::string&));
// The same for IPv6 default routes (::/0) in /proc/net/ipv6_route-format text, every table;
// reject routes (the kernel's own "::/0 dev lo" of every namespace) lead nowhere and count not.
std::string uplink6_without_big_tso(const std::string& routes,
                                    uint32_t (*tso_max_size)(const std::string&));

}  // namespace lvs::ctl
