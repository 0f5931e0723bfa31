#pragma once
// What the host's FORWARD path needs for the switch's routed networks, as a pure function of the
// configuration (applied by the daemon after each commit, like nat_rules.hpp):
//
// dockerd sets the FORWARD policy of iptables' `ip filter` table to DROP, and a drop verdict in
// one netfilter base chain is final whatever another table accepts. So, as Docker's bridge
// driver does, the accept rules go where that policy applies: chain LITE-VSWITCH of `ip filter`
// (managed with iptables-nft-restore, the tool dockerd itself uses, so both keep understanding
// the table), jumped to first from FORWARD. For each gateway G (an internal port with options:ip
// on a bridge with other_config:nat=true):
//   -i G1 -o G2 -j DROP               for every other gateway G2 (DOCKER-ISOLATION: networks do
//                                     not route to each other through the host)
//   -o G  --ctstate RELATED,ESTABLISHED -j ACCEPT; -o G --ctstate DNAT -j ACCEPT (published ports)
//   -i G  -j ACCEPT                   (out to the world, and hairpin back in)
// and first, for each gateway I of an --internal network (external_ids:docker_internal=true) with
// subnet S: -i I ! -d S -j DROP; -o I ! -s S -j DROP (its containers reach only each other and I).
// An empty configuration gives a script that removes the chain and its jump.
#include <string>
#include <vector>

#include "ctl/config.hpp"

namespace lvs::ctl {

inline constexpr const char* kForwardChain = "LITE-VSWITCH";

// The gateways (interface names) the rules are about.
std::vector<std::string> forward_gateways(const Config& config);
// iptables-restore --noflush input for chain LITE-VSWITCH (empty string: no gateways).
std::string forward_ruleset(const Config& config);
// Gateways that carry published ports and so need route_localnet=1 (127.0.0.1 DNAT to them).
std::vector<std::string> localnet_gateways(const Config& config);

// Every internal port (the switch's taps in the host): they get arp_ignore=1, so that the host
// answers ARP for an address only on the tap that carries it. With the default (0) a bridge's
// own port would answer for another port's gateway address with its own MAC, and the
// containers' traffic would enter the host by a port no FORWARD, NAT or isolation rule names.
std::vector<std::string> internal_ports(const Config& config);

}  // namespace lvs::ctl
