#pragma once
// What the CNI plugin asks of vswitchd, over its control socket with vsctl's command words (one
// transaction per call, as vsctl and vsattach do). A daemon that cannot be reached is code 11
// (try again later); a refusal is code 100 with the daemon's message as the details.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "ctl/cni_config.hpp"
#include "ctl/cni_error.hpp"
#include "ctl/config.hpp"

namespace lvs::ctl::cni {

using Chain = std::vector<std::vector<std::string>>;

// external_ids a CNI port carries beside vsattach's container_id / container_iface /
// container_netns ("cni:" + CNI_NETNS) / container_ip.
inline constexpr const char* kCniNetwork = "cni_network";

// One transaction; its outputs.
CniResult<nlohmann::json> switch_call(const std::string& socket, const Chain& chain);
// Whether vswitchd answers a ping within a few seconds (the error says why not).
CniStatus switch_ping(const std::string& socket);

// A port of the switch with the container it records.
struct PortRecord {
  std::string name, bridge, container_id, ifname, network, error;
};
CniResult<std::vector<PortRecord>> list_ports(const std::string& socket);

// The bridge (created if missing, `--may-exist add-br`) and, with `gateway`, the gateway address
// on its internal port (added to options:ip if not there) and NAT when `masquerade`. Returns the
// internal port's MAC (empty when the switch does not report one yet).
CniResult<std::string> ensure_bridge(const NetConf& n, const std::optional<Ipv4Prefix>& gateway);

// The host end of a container's veth as a port of the bridge: an access port of `vlan` (or 0),
// a trunk with vlanTrunk, protected with portIsolation, and the container in its external_ids.
// Fails with the port's error when the switch cannot open it (and removes the port again).
CniStatus add_container_port(const NetConf& n, const Env& env, const std::string& port,
                             const std::string& container_ip);

}  // namespace lvs::ctl::cni
