#pragma once
// What the CNI plugin is given: the network configuration on stdin (keys named as the reference
// `bridge` plugin names them, plus `socket`) and the CNI_* environment. Parsing checks every key
// it knows and names the bad one; keys of the bridge plugin this switch does not implement are
// refused with code 2 when set, unknown keys are passed over (runtimes add their own).
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "ctl/cni_error.hpp"
#include "ctl/rate_spec.hpp"

namespace lvs::ctl::cni {

inline constexpr const char* kLatestVersion = "1.1.0";
// The versions this plugin speaks, oldest first (VERSION lists them).
const std::vector<std::string>& supported_versions();
// -1, 0, 1 as semantic version a < b, a == b, a > b ("1.0.0" < "1.1.0"); unparsable sorts first.
int compare_versions(const std::string& a, const std::string& b);

// The switch's own IPAM: {"type": "lite-vswitch", "pool": NAME} (pool defaults to the bridge).
inline constexpr const char* kOwnIpamType = "lite-vswitch";

struct Attachment {
  std::string container_id, ifname;
};

struct NetConf {
  nlohmann::json raw;  // as given: delegated plugins get the complete configuration
  std::string cni_version, name, type;
  std::string bridge = "cni0";  // the bridge plugin's default
  std::optional<int> vlan;
  std::vector<std::pair<int, int>> vlan_trunk;  // inclusive ranges
  std::optional<int> mtu;
  bool is_gateway = false, is_default_gateway = false, ip_masq = false, hairpin_mode = false;
  bool port_isolation = false;
  std::string ipam_type;  // empty: no IPAM (layer 2 only)
  // lite-vswitch IPAM: the pool, and optionally the subnet (+ gateway) that makes it, routes.
  std::string ipam_pool;
  std::string ipam_subnet, ipam_gateway;
  nlohmann::json ipam_routes;  // null when not given
  std::string mac;             // runtimeConfig.mac (or MAC in CNI_ARGS)
  // runtimeConfig.bandwidth (the "bandwidth" capability), as the switch's port limits.
  PortRateLimits bandwidth;
  nlohmann::json dns;          // null when not given
  nlohmann::json prev_result;  // null when not given
  std::string socket;
  std::vector<Attachment> valid_attachments;  // GC's cni.dev/valid-attachments
};

struct Env {
  std::string command, container_id, netns, ifname, args, path;
};
Env read_env();

// The configuration for `command` (VERSION needs only cniVersion; the others a whole network).
CniResult<NetConf> parse_net_conf(const std::string& text, const std::string& command,
                                  const Env& env);
// The CNI_* variables `command` requires, each checked (code 4 naming the variable).
CniStatus check_env(const Env& env);

}  // namespace lvs::ctl::cni
