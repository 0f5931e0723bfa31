#pragma once
// iptables' `ip filter` table, through the same iptables-nft tools dockerd uses (so that its
// table stays one both understand; rules written there natively make iptables-nft refuse the
// table). The programs run directly with an argument vector, never through a shell.
#include <string>
#include <vector>

#include "ctl/error.hpp"

namespace lvs::ctl {

// Makes chain LITE-VSWITCH hold `script` (forward_rules.hpp) and FORWARD jump to it; an empty
// script removes both. A host without iptables gets an error naming the missing program.
Status apply_forward_rules(const std::string& script);
// net.ipv4.conf.IFACE.route_localnet=1: 127.0.0.1 DNAT'd to a published port may leave by IFACE.
Status enable_route_localnet(const std::string& iface);
// net.ipv4.conf.IFACE.arp_ignore=1 (forward_rules.hpp internal_ports() says why).
Status set_arp_ignore(const std::string& iface);

}  // namespace lvs::ctl
