#include "ports/veth_internal_port.hpp"

#include <net/if.h>

#include <fstream>

#include "ports/kernel_netdev.hpp"
#include "ports/veth_pair.hpp"

namespace lvs::ports {
namespace {

// The switch end carries frames for the switch only: no IPv6 autoconfiguration of its own
// (router solicitations and DAD would reach the host end as frames from the bridge), and no ARP
// answers from it for the host's addresses (arp_ignore=8: never).
void quiet_switch_end(const std::string& ifname) {
  std::ofstream("/proc/sys/net/ipv6/conf/" + ifname + "/disable_ipv6") << "1\n";
  std::ofstream("/proc/sys/net/ipv4/conf/" + ifname + "/arp_ignore") << "8\n";
}

}  // namespace

std::shared_ptr<VethInternalPort> VethInternalPort::create(const std::string& name,
                                                           rte_mempool* pool, std::string& error) {
  if (name.empty() || name.size() >= IFNAMSIZ) {
    error = "internal port name '" + name + "' must have 1 to 15 characters";
    return nullptr;
  }
  const std::string peer = internal_switch_end(name);
  if (if_nametoindex(name.c_str()) != 0) {
    if (!is_veth_pair(name, peer)) {
      error = "cannot create internal port " + name + ": an interface of that name exists";
      return nullptr;
    }
    // Left by a daemon that was killed: start from a fresh pair, as a tap would.
    if (std::string e = delete_netdev(name); !e.empty()) {
      error = e;
      return nullptr;
    }
  }
  if (if_nametoindex(peer.c_str()) != 0) {
    error = "cannot create internal port " + name + ": its switch end " + peer + " exists";
    return nullptr;
  }
  if (std::string e = create_veth_pair(name, peer); !e.empty()) {
    error = e;
    return nullptr;
  }
  auto fail = [&](const std::string& what) {
    error = what;
    delete_netdev(name);
    return nullptr;
  };
  quiet_switch_end(peer);
  if (std::string e = set_netdev_up(peer); !e.empty()) return fail(e);
  if (std::string e = set_netdev_up(name); !e.empty()) return fail(e);
  auto end = AfPacketPort::open(name, peer, pool, error);
  if (!end) return fail("internal port " + name + ": " + error);
  const int ifindex = static_cast<int>(if_nametoindex(name.c_str()));
  auto port =
      std::shared_ptr<VethInternalPort>(new VethInternalPort(name, ifindex, std::move(end)));
  if (!port->remover_.ok()) {
    error = "internal port " + name + ": cannot open rtnetlink";
    return nullptr;  // the destructor deletes the pair (by name: the remover failed)
  }
  return port;
}

VethInternalPort::VethInternalPort(std::string name, int ifindex,
                                   std::shared_ptr<AfPacketPort> switch_end)
    : Port(std::move(name)), ifindex_(ifindex), switch_end_(std::move(switch_end)) {
  set_max_frame_len(switch_end_->max_frame_len());
}

VethInternalPort::~VethInternalPort() {
  switch_end_.reset();
  if (remover_.ok())
    remover_.remove(ifindex_, name());
  else
    delete_netdev(name());  // its peer, the switch end, goes with it
}

sw::PortStatus VethInternalPort::status() const {
  sw::PortStatus s = query_netdev(ifindex_, name());
  if (s.error.empty()) {
    sw::PortStatus end = switch_end_->status();
    if (!end.error.empty()) s.error = end.error;
  }
  return s;
}

std::string VethInternalPort::add_ipv4(const std::string& cidr) const {
  return add_ipv4_address(ifindex_, cidr);
}

}  // namespace lvs::ports
