#pragma once
// The cluster settings in the configuration (issue 17), checked by validate() like every other
// other_config key:
//   Open_vSwitch . other_config:cluster-store=etcd://HOST:PORT[,HOST:PORT...]
//                  other_config:cluster-local-ip=IP       (IPv4 or IPv6: the VTEP address)
//                  other_config:cluster-lease-ttl=SECONDS (default 10, 2..3600)
//                  other_config:cluster-subnet=A/P        (the cluster CIDR, optional)
//                  other_config:cluster-host-prefix=N     (each host's share of it, default 24)
//   Bridge other_config:cluster-vni=N  or  cluster-vni-map=VLAN:VNI[,VLAN:VNI...]
// and what the daemon writes itself (never to be typed): Port external_ids:cluster-member=ID and
// cluster-vni=N on the tunnels it makes, Bridge external_ids:cluster-host-subnet=A/P (the subnet
// this host holds; the bridge's IPAM hands out addresses only inside it).
// No etcd here: this is lvs_ctl_config (vsctl, vsattach and validation read it).
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "ctl/config.hpp"

namespace lvs::ctl::cluster {

inline constexpr const char* kClusterStore = "cluster-store";
inline constexpr const char* kClusterLocalIp = "cluster-local-ip";
inline constexpr const char* kClusterLeaseTtl = "cluster-lease-ttl";
inline constexpr const char* kClusterSubnet = "cluster-subnet";
inline constexpr const char* kClusterHostPrefix = "cluster-host-prefix";
inline constexpr const char* kClusterVni = "cluster-vni";
inline constexpr const char* kClusterVniMap = "cluster-vni-map";
inline constexpr const char* kClusterMember = "cluster-member";           // Port external_ids
inline constexpr const char* kClusterTunnelVni = "cluster-vni";           // Port external_ids
inline constexpr const char* kClusterHostSubnet = "cluster-host-subnet";  // Bridge external_ids
inline constexpr int kDefaultLeaseTtl = 10, kMinLeaseTtl = 2, kMaxLeaseTtl = 3600;
inline constexpr int kDefaultHostPrefix = 24;
inline constexpr uint32_t kMaxVni = (1u << 24) - 1;
// What VXLAN costs an inner frame: outer IPv4 or IPv6 + UDP + VXLAN + inner Ethernet.
inline constexpr int kOverheadIpv4 = 50, kOverheadIpv6 = 70;

// One VNI a bridge carries: the whole bridge (vlan empty, cluster-vni) or one VLAN of it.
struct VniBinding {
  uint32_t vni = 0;
  std::optional<uint16_t> vlan;
  // The VLAN the bridge's FDB and neighbour table see this VNI's stations on.
  uint16_t fdb_vlan() const { return vlan.value_or(0); }
  bool operator==(const VniBinding&) const = default;
};

struct ClusterBridge {
  std::string name;
  std::vector<VniBinding> bindings;  // sorted by VNI
  bool operator==(const ClusterBridge&) const = default;
};

struct ClusterOptions {
  std::string store_url;                     // as given
  std::vector<std::string> store_endpoints;  // "HOST:PORT", "[V6]:PORT"
  std::string local_ip;
  bool ipv6 = false;  // local_ip is IPv6 (70-byte overhead)
  int lease_ttl_s = kDefaultLeaseTtl;
  std::optional<Ipv4Prefix> subnet;  // network address, prefix
  int host_prefix = kDefaultHostPrefix;
  std::vector<ClusterBridge> bridges;  // the bridges taking part, by name
  int mtu_overhead() const { return ipv6 ? kOverheadIpv6 : kOverheadIpv4; }
  bool operator==(const ClusterOptions&) const = default;
};

// True for the Open_vSwitch / Bridge other_config keys this file owns.
bool is_cluster_global_key(const std::string& key);
bool is_cluster_bridge_key(const std::string& key);

// "etcd://h:p[,h:p...]" -> the endpoints; the error names the bad word.
Result<std::vector<std::string>> parse_cluster_store(const std::string& url);
// "100:100,200:200" -> bindings; the error names the bad word.
Result<std::vector<VniBinding>> parse_vni_map(const std::string& text);

// Part of validate_global / validate_bridge / validate: each key's value, the keys that need
// each other, a VNI carried by one bridge only.
Status validate_cluster_global(const StringMap& other_config);
Status validate_cluster_bridge(const BridgeConfig& bridge);
Status validate_cluster(const Config& config);

// The bridge's VNIs (empty: it takes no part). Call on a validated configuration.
std::vector<VniBinding> bridge_bindings(const BridgeConfig& bridge);
// The cluster as configured; nullopt when cluster-store is unset.
std::optional<ClusterOptions> cluster_options(const Config& config);

// A bridge whose IPAM hands out only this host's share of the cluster subnet: its
// external_ids:cluster-host-subnet, when set and well formed.
std::optional<Ipv4Prefix> host_subnet_of(const BridgeConfig& bridge);

}  // namespace lvs::ctl::cluster
