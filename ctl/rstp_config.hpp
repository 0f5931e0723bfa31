#pragma once
// Spanning tree settings in the configuration, with Open vSwitch's names (vswitch.xml, "Rapid
// Spanning Tree"): Bridge `rstp_enable` and other_config:rstp-priority, rstp-address,
// rstp-max-age, rstp-hello-time, rstp-forward-delay; Port other_config:rstp-port-priority,
// rstp-path-cost, rstp-admin-edge, rstp-auto-edge, and ours (Open vSwitch has no such knobs):
// rstp-bpdu-guard, rstp-root-guard. Ranges from IEEE 802.1D-2004 17.13-17.14 (table 17-1).
// Container ports (made by vsattach, the CNI plugin or the Docker plugin) are admin edge ports
// with BPDU guard unless their other_config says otherwise.
#include <cstdint>
#include <optional>
#include <string>

#include "ctl/config.hpp"

namespace lvs::ctl {

inline constexpr const char* kRstpPriority = "rstp-priority";
inline constexpr const char* kRstpAddress = "rstp-address";
inline constexpr const char* kRstpMaxAge = "rstp-max-age";
inline constexpr const char* kRstpHelloTime = "rstp-hello-time";
inline constexpr const char* kRstpForwardDelay = "rstp-forward-delay";
inline constexpr const char* kRstpPortPriority = "rstp-port-priority";
inline constexpr const char* kRstpPathCost = "rstp-path-cost";
inline constexpr const char* kRstpAdminEdge = "rstp-admin-edge";
inline constexpr const char* kRstpAutoEdge = "rstp-auto-edge";
inline constexpr const char* kRstpBpduGuard = "rstp-bpdu-guard";
inline constexpr const char* kRstpRootGuard = "rstp-root-guard";

struct RstpBridgeOptions {
  uint16_t priority = 32768;
  std::optional<std::string> address;  // canonical MAC; default: derived by the daemon
  uint16_t max_age = 20, hello_time = 2, forward_delay = 15;
};

struct RstpPortOptions {
  uint8_t priority = 128;
  uint32_t path_cost = 20000;  // 1 Gb/s (802.1D-2004 table 17-3)
  bool admin_edge = false, auto_edge = true, bpdu_guard = false, root_guard = false;
};

// True for a bridge other_config key this file owns.
bool is_rstp_bridge_key(const std::string& key);
bool is_rstp_port_key(const std::string& key);
// A port a container hangs off (external_ids written by vsattach, CNI or Docker).
bool is_container_port(const PortConfig& port);

// The bridge's options, or an error naming the key and its range ("bridge br0:
// other_config:rstp-max-age \"50\" is not in 6..40").
Result<RstpBridgeOptions> rstp_bridge_options(const BridgeConfig& bridge);
Result<RstpPortOptions> rstp_port_options(const PortConfig& port);

}  // namespace lvs::ctl
