#pragma once
// The configuration model: what the database file holds and what vsctl edits. Plain structs;
// validate() checks a whole configuration and names the first offending field.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "ctl/error.hpp"

namespace lvs::ctl {

inline constexpr int kSchemaVersion = 1;

// Bridge other_config keys and their bounds.
inline constexpr const char* kMacAgingTime = "mac-aging-time";
inline constexpr const char* kMacTableSize = "mac-table-size";
inline constexpr const char* kForwardBpdu = "forward-bpdu";
inline constexpr uint32_t kMinAging = 15, kMaxAging = 3600, kDefaultAging = 300;
inline constexpr uint32_t kMinTableSize = 16, kMaxTableSize = 4'194'304, kDefaultTableSize = 8192;
// Kernel interface names (and so our port and bridge names) fit IFNAMSIZ.
inline constexpr size_t kMaxNameLength = 15;

using StringMap = std::map<std::string, std::string>;

struct PortConfig {
  std::string name;
  std::string type;                 // "" (= system), system, internal, dpdk, vxlan, gre, ...
  std::optional<int> tag;           // 0..4095
  std::vector<int> trunks;          // empty = all VLANs
  std::string vlan_mode;            // "" (OVS default), access, trunk, native-tagged, native-untagged
  bool admin_up = true;             // admin_state up/down
  StringMap options;
  StringMap external_ids;
  std::optional<int> mtu_request;
  bool operator==(const PortConfig&) const = default;
};

struct StaticMac {
  std::string port;
  int vlan = 0;
  std::string mac;  // canonical lower case "aa:bb:cc:dd:ee:ff"
  bool operator==(const StaticMac&) const = default;
};

struct BridgeConfig {
  std::string name;
  StringMap other_config;
  StringMap external_ids;
  std::vector<PortConfig> ports;
  std::vector<StaticMac> static_macs;
  bool operator==(const BridgeConfig&) const = default;

  PortConfig* find_port(const std::string& port);
  const PortConfig* find_port(const std::string& port) const;
  uint32_t mac_aging_time() const;  // validated value or default
  uint32_t mac_table_size() const;
  bool forward_bpdu() const;
};

struct Config {
  std::vector<BridgeConfig> bridges;
  bool operator==(const Config&) const = default;

  BridgeConfig* find_bridge(const std::string& name);
  const BridgeConfig* find_bridge(const std::string& name) const;
  // The bridge holding `port`, or nullptr.
  BridgeConfig* bridge_of_port(const std::string& port);
  const BridgeConfig* bridge_of_port(const std::string& port) const;
};

// First start without a database: bridge br0 (its internal gateway port arrives with the
// container-ports work).
Config default_config();

// Known port types; "" means system (OVS's default: the existing kernel interface NAME).
bool is_known_port_type(const std::string& type);
std::string effective_type(const PortConfig& port);  // "" -> "system"

// Per-field checks, shared by validate() and vsctl's column parser.
Status validate_name(const std::string& what, const std::string& name);
Status validate_port(const PortConfig& port);
Status validate_bridge(const BridgeConfig& bridge);
Status validate(const Config& config);

// Parses "aa:bb:cc:dd:ee:ff" into canonical lower case; nullopt when not a MAC.
std::optional<std::string> canonical_mac(const std::string& text);
// Parses a decimal integer in [lo, hi]; nullopt otherwise (no sign tricks, no trailing junk).
std::optional<long long> parse_int(const std::string& text, long long lo, long long hi);

}  // namespace lvs::ctl
