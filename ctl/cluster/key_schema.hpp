#pragma once
// The keys under the cluster prefix and their JSON values (the schema is README.md's):
//   <prefix>hosts/<host-id>            {"underlay_ip","vtep_mac","vnis","subnet"}  host's lease
//   <prefix>endpoints/<vni>/<mac>      {"ip","ip6","host"}                          host's lease
//   <prefix>subnets/<net>-<len>        {"host"}                                     24 h lease
#include <cstdint>
#include <string>
#include <string_view>

#include "ctl/cluster/cluster_view.hpp"
#include "ctl/error.hpp"

namespace lvs::ctl::cluster {

std::string host_key(std::string_view prefix, std::string_view host_id);
std::string endpoint_key(std::string_view prefix, uint32_t vni, std::string_view mac);
// "10.200.3.0/24" -> "<prefix>subnets/10.200.3.0-24"
std::string subnet_key(std::string_view prefix, std::string_view subnet);
// The key one past every key that starts with `prefix` (etcd's range_end for a prefix).
std::string prefix_end(std::string_view prefix);

std::string member_value(const Member& m);      // id, lease and revision are not in the value
std::string endpoint_value(const Endpoint& e);  // vni and mac are in the key
std::string subnet_value(std::string_view host_id);

// What a key under the prefix names.
struct KeyName {
  enum class Kind { kHost, kEndpoint, kSubnet, kOther } kind = Kind::kOther;
  std::string id;  // host id (kHost), "<net>/<len>" (kSubnet)
  uint32_t vni = 0;
  std::string mac;
};
KeyName parse_key(std::string_view prefix, std::string_view key);

// A value as another host wrote it; the error names the key and what is wrong.
Result<Member> parse_member(std::string_view id, std::string_view value);
Result<Endpoint> parse_endpoint(uint32_t vni, std::string_view mac, std::string_view value);
// The host holding a subnet, or "" when the value is not one of ours.
std::string parse_subnet_holder(std::string_view value);

}  // namespace lvs::ctl::cluster
