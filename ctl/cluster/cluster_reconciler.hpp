#pragma once
// What a ClusterView asks of this host, and what it takes to get there from what is (issue 17):
// - per VNI a bridge carries, one VXLAN tunnel port to every other member serving that VNI
//   (cluster-vni: a plain tunnel, key=VNI; cluster-vni-map: an access port tagged with the
//   VLAN, key=VNI), marked external_ids:cluster-member=ID so that `vsctl show` shows it and a
//   restart finds it again;
// - every remote endpoint's MAC as a static FDB entry on the tunnel to its host (runtime only);
// - every remote endpoint's IPv4/IPv6 address in the bridge's neighbour-suppression table.
// Pure functions over plain values (no etcd, no datapath): the daemon's ClusterDriver applies the
// differences, unchanged views give empty differences. Unit-tested with synthetic views.
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "ctl/cluster/cluster_config.hpp"
#include "ctl/cluster/cluster_view.hpp"
#include "ctl/config.hpp"

namespace lvs::ctl::cluster {

using Words = std::vector<std::string>;

// One tunnel port this host should have.
struct TunnelSpec {
  std::string bridge, port;  // port: tunnel_port_name(member, vni)
  std::string member, remote_ip, local_ip;
  uint32_t vni = 0;
  std::optional<uint16_t> vlan;  // cluster-vni-map: the access VLAN
  bool operator==(const TunnelSpec&) const = default;
};

struct FdbSpec {
  std::string bridge;
  uint16_t vlan = 0;
  std::string mac, port;
  auto operator<=>(const FdbSpec&) const = default;
};

struct NeighbourSpec {
  uint16_t vlan = 0;
  std::string ip;  // IPv4 or IPv6 text
  std::string mac;
  auto operator<=>(const NeighbourSpec&) const = default;
};

struct Desired {
  std::map<std::string, TunnelSpec> tunnels;  // by port name
  std::set<FdbSpec> fdb;
  std::map<std::string, std::set<NeighbourSpec>> neighbours;  // by bridge (every cluster bridge)
};

// "cl" + 8 hex digits of a hash of (member, vni): fits IFNAMSIZ, stable across restarts.
std::string tunnel_port_name(const std::string& member, uint32_t vni);

// What `view` asks for, seen from member `self_id` with the cluster bridges of `options`.
Desired desired_state(const ClusterView& view, const std::string& self_id,
                      const ClusterOptions& options);

// The tunnel ports the configuration has now (those with external_ids:cluster-member).
std::map<std::string, TunnelSpec> current_tunnels(const Config& config);

// The vsctl chain that brings the configuration's tunnels to `wanted` (empty: nothing to do).
// A tunnel whose settings changed is removed and added again in the same chain.
std::vector<Words> tunnel_commands(const std::map<std::string, TunnelSpec>& current,
                                   const std::map<std::string, TunnelSpec>& wanted);

template <typename T>
struct SetDiff {
  std::vector<T> add, remove;
  bool empty() const { return add.empty() && remove.empty(); }
};
SetDiff<FdbSpec> diff_fdb(const std::set<FdbSpec>& installed, const std::set<FdbSpec>& wanted);
// The bridges whose neighbour table differs (a table is replaced whole).
std::vector<std::string> changed_neighbour_tables(
    const std::map<std::string, std::set<NeighbourSpec>>& installed,
    const std::map<std::string, std::set<NeighbourSpec>>& wanted);

}  // namespace lvs::ctl::cluster
