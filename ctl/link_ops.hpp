#pragma once
// What vsattach asks of rtnetlink (libnl-route-3, no `ip` processes), in the calling thread's
// network namespace (run them through run_in_netns() for a container's). Errors name the
// interface and say what the kernel answered.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "ctl/config.hpp"
#include "ctl/error.hpp"

namespace lvs::ctl {

// A veth pair: `host` here, `peer` created directly inside the namespace open at `peer_ns_fd`
// (no temporary name in the host, so nothing to collide with or leak there).
Status create_veth(const std::string& host, const std::string& peer, int peer_ns_fd,
                   std::optional<int> mtu, const std::string& peer_mac);
bool link_exists(const std::string& name);
// Deleting one end of a veth removes both. A link already gone is not an error.
Status delete_link(const std::string& name);
// Sets what is given: MTU, MAC (canonical text, empty: keep), and IFF_UP when `up`.
Status configure_link(const std::string& name, std::optional<int> mtu, const std::string& mac, bool up);
// The host end of a container's veth, a switch port: up, MTU, and IFF_NOARP. Without it the
// host's kernel answers the container's ARP for the gateway (any local address, arp_ignore=0)
// with this end's MAC, and the container's traffic enters the host here instead of through the
// switch and the gateway port (where NAT, FORWARD accept and isolation expect it).
Status configure_port_end(const std::string& name, std::optional<int> mtu);
// Turns checksum offload, TSO and GSO on transmit off or on (SIOCETHTOOL). Off for a container
// end whose host end is read by a port kind without virtio-net headers (afxdp), so every frame it
// sends is complete and fits one MTU; on again (the veth default) for the kinds that carry them.
Status set_tx_offloads(const std::string& name, bool on);
Result<std::vector<std::string>> link_names();
Result<std::string> link_mac(const std::string& name);
// Adds ADDR/PREFIX; already there is not an error.
Status add_address(const std::string& name, const Ipv4Prefix& address);
// `default via GATEWAY dev NAME`, replacing any default route (pipework does the same).
Status replace_default_route(const std::string& name, uint32_t gateway);
// An ARP request for our own address to the broadcast MAC, so peers update their caches at once.
Status send_gratuitous_arp(const std::string& name, uint32_t ip, const std::string& mac);

}  // namespace lvs::ctl
