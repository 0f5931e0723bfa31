#pragma once
// The host's netfilter, driven through libnftables (no shell, no `nft` process): scripts come
// from nat_rules.hpp, built only from validated names and numbers.
#include <string>

#include "ctl/error.hpp"

namespace lvs::ctl {

// Runs an nft script as one transaction: all of it applies or none does.
Status run_nft(const std::string& script);
// net.ipv4.ip_forward=1 in the caller's network namespace (docker sets it too; never reset).
Status enable_ip_forward();

}  // namespace lvs::ctl
