#pragma once
// Addresses for a CNI attachment: delegated to the IPAM plugin the configuration names (found in
// CNI_PATH and run as a runtime would: the complete configuration on stdin, the same
// environment), at the highest version both speak — Debian's host-local stops at 1.0.0, so a
// 1.1.0 network calls it at 1.0.0 (asked with VERSION first), and GC / STATUS go only to a
// plugin that speaks 1.1.0. An `ipam` of type lite-vswitch is the switch's own (cni_own_ipam.hpp).
#include <string>

#include "ctl/cni_config.hpp"
#include "ctl/cni_error.hpp"
#include "ctl/cni_result.hpp"

namespace lvs::ctl::cni {

struct IpamLease {
  NetResult result;  // ips (no interface index), routes, dns
  std::string mac;   // the MAC the IPAM chose, if it does (the switch's: docker0's scheme)
};

// Each one does nothing when the configuration has no ipam.
CniResult<IpamLease> ipam_add(const NetConf& n, const Env& env);
CniStatus ipam_del(const NetConf& n, const Env& env);
CniStatus ipam_check(const NetConf& n, const Env& env);
CniStatus ipam_gc(const NetConf& n, const Env& env);
CniStatus ipam_status(const NetConf& n, const Env& env);

}  // namespace lvs::ctl::cni
