#pragma once
// docker0's NAT as a pure function of the configuration: the whole nftables table the switch owns
// (`table ip lite_vswitch`), recomputed after every committed transaction and at start, so that
// detach, del-port, del-br and a daemon restart need no bookkeeping of their own.
//
// For each bridge with other_config:nat=true, each subnet of its internal ports (options:ip):
//   postrouting: ip saddr SUBNET oifname != "BRIDGE-PORT" masquerade   (docker's MASQUERADE)
// For each port with external_ids:publish and external_ids:container_ip (vsattach --publish):
//   prerouting and output (to the host's own addresses, 127.0.0.1 included): PROTO dport HOST dnat
//   to IP:CTR, plus masquerade of 127/8 sources leaving by the gateway (route_localnet=1 on it)
//   postrouting hairpin: a container of the subnet reaching a published port through the host is
//   masqueraded, else the reply would go straight back over the switch and miss the un-DNAT.
// The script replaces the table atomically ("table; delete table; table {...}" in one run).
#include <string>

#include "ctl/config.hpp"

namespace lvs::ctl {

inline constexpr const char* kNatTable = "lite_vswitch";

// The nft script that makes the kernel's table match `config` (it deletes the table when the
// configuration asks for no NAT at all).
std::string nat_ruleset(const Config& config);
// True when the rules need IPv4 forwarding (net.ipv4.ip_forward=1).
bool nat_needs_forwarding(const Config& config);

}  // namespace lvs::ctl
