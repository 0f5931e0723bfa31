#pragma once
// Per-host subnets of a cluster CIDR (flannel's scheme): a host claims one subnet of
// `host_prefix_len` with a transaction (the key is new, or it already holds our host id), under
// a long lease of its own, and remembers it in `<state_dir>/cluster-subnet.json` so that it asks
// for the same one first after a restart.
#include <optional>
#include <string>

#include "ctl/cluster/etcd_client.hpp"
#include "ctl/error.hpp"

namespace lvs::ctl::cluster {

inline constexpr int64_t kSubnetLeaseTtlS = 24 * 3600;

struct SubnetRequest {
  std::string prefix;  // the cluster prefix in etcd
  std::string host_id;
  std::string cluster_cidr;  // "10.200.0.0/16"
  int host_prefix_len = 24;
  std::string preferred;        // asked for first (the remembered one), "" for none
  bool only_preferred = false;  // re-asserting a claim: no other subnet will do
};

// Checks the CIDR and the length: the error names what is wrong.
Status check_subnet_request(const SubnetRequest& req);
// Claims a subnet under `lease`; returns it ("10.200.3.0/24").
Result<std::string> claim_subnet_in_etcd(EtcdClient& etcd, const SubnetRequest& req, int64_t lease);

// The remembered claim, when it was made for the same CIDR and length.
std::optional<std::string> load_remembered_subnet(const std::string& state_dir,
                                                  const std::string& cluster_cidr,
                                                  int host_prefix_len);
Status remember_subnet(const std::string& state_dir, const std::string& cluster_cidr,
                       int host_prefix_len, const std::string& subnet);

}  // namespace lvs::ctl::cluster
