#pragma once
// The configuration model: what the database file holds and what vsctl edits. Plain structs;
// validate() checks a whole configuration and names the first offending field.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ctl/error.hpp"
#include "ctl/mirror_config.hpp"

namespace lvs::ctl {

inline constexpr int kSchemaVersion = 1;

// Bridge other_config keys and their bounds.
inline constexpr const char* kMacAgingTime = "mac-aging-time";
inline constexpr const char* kMacTableSize = "mac-table-size";
inline constexpr const char* kForwardBpdu = "forward-bpdu";
// "true": docker0's NAT for this bridge (outbound masquerade of its internal ports' subnets, IP
// forwarding, published ports). Default false; the embedded br0 sets it (nat_rules.hpp).
inline constexpr const char* kNat = "nat";
// Interface options:ip of an internal port: "ADDR/PREFIX[,ADDR/PREFIX...]" set on its host
// interface (br0's is 172.17.0.1/16, docker0's role).
inline constexpr const char* kIpOption = "ip";
// dpdkvhostuserclient: the peer's vhost-user socket (Open vSwitch's name).
inline constexpr const char* kVhostServerPath = "vhost-server-path";
// Port external_ids written by vsattach and read by the switch (NAT, vsattach --gc/--detach).
inline constexpr const char* kContainerId = "container_id";        // as the user named it
inline constexpr const char* kContainerIface = "container_iface";  // eth1
inline constexpr const char* kContainerNetns = "container_netns";  // netns:NAME, pid:N, docker:ID
inline constexpr const char* kContainerIp = "container_ip";        // 10.77.0.2/24
inline constexpr const char* kContainerMac = "container_mac";      // the container end's MAC
inline constexpr const char* kPublish = "publish";  // "8080:80/tcp,5353:53/udp" (DNAT)
// On a gateway (internal port with options:ip) of `docker network create --internal`: its subnet
// routes nowhere else (forward_rules.hpp drops what enters or leaves it for another subnet).
inline constexpr const char* kDockerInternal = "docker_internal";  // "true"
// The pool whose lease (owner = the port's name) the port's container address is: released when
// vsattach detaches or collects the port.
inline constexpr const char* kIpamPoolId = "ipam_pool";
// Open_vSwitch . other_config keys (the one global record): adaptive PMD sleep.
inline constexpr const char* kPmdSleep = "pmd-sleep";       // off | adaptive (default)
inline constexpr const char* kPmdQuietUs = "pmd-quiet-us";  // quiet period before a PMD sleeps
inline constexpr uint32_t kMinQuietUs = 10, kMaxQuietUs = 1'000'000, kDefaultQuietUs = 300;
inline constexpr uint32_t kMinAging = 15, kMaxAging = 3600, kDefaultAging = 300;
inline constexpr uint32_t kMinTableSize = 16, kMaxTableSize = 4'194'304, kDefaultTableSize = 8192;
// Port other_config keys: storm control, frames per second the port may send into floods
// (broadcast, multicast, unknown unicast); unset = unlimited, 0 = none (switch/storm_control.hpp).
inline constexpr const char* kStormBroadcastPps = "storm-broadcast-pps";
inline constexpr const char* kStormMulticastPps = "storm-multicast-pps";
inline constexpr const char* kStormUnknownUnicastPps = "storm-unknown-unicast-pps";
inline constexpr uint64_t kMaxStormPps = 100'000'000;
// Rate limits (switch/rate_limit.hpp). Interface columns, Open vSwitch's: ingress policing of
// what the interface receives, kbit/s and kbit (0: off / OVS's default burst of 8000 kbit).
// Port other_config keys: the same on what the switch sends out of the port, kbit/s and kbit.
inline constexpr const char* kEgressRateKbps = "egress-rate-kbps";
inline constexpr const char* kEgressBurstKb = "egress-burst-kb";
inline constexpr uint64_t kMaxRateKbps = 4'294'967'295;  // OVS's bound on both columns
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
  StringMap other_config;  // Port other_config: storm control (kStorm*Pps)
  // Open vSwitch's Port `protected`: no frame passes between two protected ports (Docker's
  // icc=false, CNI's portIsolation); unprotected ports reach and are reached by all.
  bool protected_port = false;
  uint64_t ingress_policing_rate = 0;   // Interface column, kbit/s; 0: off
  uint64_t ingress_policing_burst = 0;  // Interface column, kbit; 0: 8000
  bool operator==(const PortConfig&) const = default;

  // A validated storm-control key's rate, nullopt when unset.
  std::optional<uint64_t> storm_pps(const char* key) const;
  // A validated other_config:egress-rate-kbps / egress-burst-kb, 0 when unset.
  uint64_t egress_kbit(const char* key) const;
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
  bool rstp_enable = false;  // Open vSwitch's Bridge rstp_enable (rstp_config.hpp)
  std::vector<MirrorSpec> mirrors;  // mirror_config.hpp
  bool operator==(const BridgeConfig&) const = default;

  PortConfig* find_port(const std::string& port);
  const PortConfig* find_port(const std::string& port) const;
  uint32_t mac_aging_time() const;  // validated value or default
  uint32_t mac_table_size() const;
  bool forward_bpdu() const;
  bool nat() const;
  // The bridge's own internal port (named after it, as ovs-vsctl add-br makes it), or nullptr.
  const PortConfig* local_port() const;
};

// The switch's own IPAM (ipam.hpp): a pool of addresses and the leases handed out from it.
struct IpamLease {
  std::string owner;    // who holds it: a container id, a docker endpoint, a CNI attachment
  std::string address;  // dotted quad, inside the pool's subnet
  std::string mac;      // docker0's scheme (02:42 + the address) unless the owner gave one
  bool operator==(const IpamLease&) const = default;
};
struct IpamPool {
  std::string name;
  // "A/P" for a pool made by ipam/add-pool; empty for a bridge's implicit pool (its subnet and
  // gateway are read from the bridge's internal port options:ip each time).
  std::string subnet;
  std::string gateway;  // dotted quad or empty (never handed out)
  StringMap external_ids;
  std::vector<IpamLease> leases;
  bool operator==(const IpamPool&) const = default;
};

struct Config {
  std::vector<BridgeConfig> bridges;
  StringMap other_config;  // the Open_vSwitch table's one record "."
  std::vector<IpamPool> ipam_pools;  // explicit pools, then implicit ones holding leases
  bool operator==(const Config&) const = default;

  bool pmd_sleep_adaptive() const;  // validated value or default (adaptive)
  uint32_t pmd_quiet_us() const;
  // other_config:kernel-tunnels (default true): VXLAN ports of the kernel underlay on the
  // kernel's vxlan device (tunnels/kernel_vxlan_port.hpp) rather than on UDP sockets.
  bool kernel_tunnels() const;
  // other_config:big-tcp (default true): BIG TCP on the veths of system ports where nothing the
  // containers' traffic may leave through would have to cut it (ctl/big_tcp_sync.hpp).
  bool big_tcp() const;

  BridgeConfig* find_bridge(const std::string& name);
  const BridgeConfig* find_bridge(const std::string& name) const;
  // The bridge holding `port`, or nullptr.
  BridgeConfig* bridge_of_port(const std::string& port);
  const BridgeConfig* bridge_of_port(const std::string& port) const;
};

// First start without a database: bridge br0 with its internal port br0 carrying
// 172.17.0.1/16 and NAT on (docker0's role).
Config default_config();
// The bridge-local internal port add-br creates: named after the bridge, type internal.
PortConfig local_port_config(const std::string& bridge);

// "10.77.0.1/24" -> address and prefix; nullopt unless a dotted quad and a prefix in 0..32.
struct Ipv4Prefix {
  uint32_t addr = 0;  // host order
  int prefix = 0;
  uint32_t network() const { return prefix == 0 ? 0 : addr & (~0u << (32 - prefix)); }
  bool contains(uint32_t a) const {
    return prefix == 0 || ((a ^ addr) & (~0u << (32 - prefix))) == 0;
  }
  bool operator==(const Ipv4Prefix&) const = default;
};
std::optional<Ipv4Prefix> parse_ipv4_prefix(const std::string& text);
std::optional<uint32_t> parse_ipv4(const std::string& text);  // host order
std::string format_ipv4(uint32_t addr);                        // host order -> dotted quad
// options:ip of an internal port (comma-separated prefixes), or an error naming the bad word.
Result<std::vector<Ipv4Prefix>> parse_ip_list(const std::string& text);

// One published port: [HOSTIP:]HOSTPORT:CONTAINERPORT[/tcp|udp].
struct PublishedPort {
  int host_port = 0;
  int container_port = 0;
  std::string proto = "tcp";
  uint32_t host_ip = 0;  // network order; 0: every address of the host (Docker's "-p 8080:80")
  bool operator==(const PublishedPort&) const = default;
};
// [HOSTIP:]HOSTPORT:CONTAINERPORT[/tcp|udp], as docker run -p writes it (HOSTIP IPv4).
Result<PublishedPort> parse_published_port(const std::string& text);
// Whether two entries would take the same host port (the same address, or either on every one).
bool same_host_port(const PublishedPort& a, const PublishedPort& b);
// external_ids:publish: comma-separated list.
Result<std::vector<PublishedPort>> parse_publish_list(const std::string& text);
std::string format_published_port(const PublishedPort& p);

// Known port types; "" means system (OVS's default: the existing kernel interface NAME).
bool is_known_port_type(const std::string& type);
std::string effective_type(const PortConfig& port);  // "" -> "system"

// Per-field checks, shared by validate() and vsctl's column parser.
Status validate_name(const std::string& what, const std::string& name);
Status validate_port(const PortConfig& port);
Status validate_bridge(const BridgeConfig& bridge);
// The Open_vSwitch record's other_config: known keys and their values.
Status validate_global(const StringMap& other_config);
Status validate(const Config& config);

// Parses "aa:bb:cc:dd:ee:ff" into canonical lower case; nullopt when not a MAC.
std::optional<std::string> canonical_mac(const std::string& text);
// True when `word` is one of the space-separated words of `list` ("--may-exist --if-exists").
bool has_word(std::string_view list, std::string_view word);
// Parses a decimal integer in [lo, hi]; nullopt otherwise (no sign tricks, no trailing junk).
std::optional<long long> parse_int(const std::string& text, long long lo, long long hi);

}  // namespace lvs::ctl
