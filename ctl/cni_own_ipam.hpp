#pragma once
// `"ipam": {"type": "lite-vswitch", "pool": P, "subnet": S, "gateway": G, "routes": [...]}`: the
// switch's own IPAM (ctl/ipam.hpp) through vsctl's ipam/* words. The owner of a lease is
// CNI_CONTAINERID/CNI_IFNAME. The pool defaults to the bridge's implicit one (the subnet of its
// internal port's options:ip); with `subnet` the plugin makes it first: on the bridge's internal
// port (gateway = G or the first address) when the pool is the bridge's and isGateway is set,
// else as an explicit pool (`ipam/add-pool`). Leases come with docker0's MAC (02:42 + address).
#include "ctl/cni_config.hpp"
#include "ctl/cni_ipam.hpp"

namespace lvs::ctl::cni {

CniResult<IpamLease> own_ipam_add(const NetConf& n, const Env& env);
CniStatus own_ipam_del(const NetConf& n, const Env& env);
CniStatus own_ipam_check(const NetConf& n, const Env& env);
// Releases the leases of attachments not in cni.dev/valid-attachments that no other network's
// port on the switch still records.
CniStatus own_ipam_gc(const NetConf& n);
CniStatus own_ipam_status(const NetConf& n);

}  // namespace lvs::ctl::cni
