#pragma once
// Which decisions of the switch the kernel may carry (the offload mapping, no kernel here):
// learnt unicast between two eligible ports of one bridge, with the tag push/pop the VLAN
// policies ask. A port is eligible when it is a `system` port on a veth or the bridge's
// internal port made a veth pair (options:device=veth; its switch end is the port's veth: the
// kernel sends a frame for the host out of it, OffloadRedirect::kEgress), up, and nothing the
// switch does to its frames besides forwarding would be skipped by the kernel: no storm
// control, policing or egress limit, not protected, not a mirror's output, on a bridge without
// RSTP or mirrors. Floods, unknown destinations and frames from stations not learnt on their
// ingress port (first frames, moves) stay in userspace: a flow needs its source station on its
// ingress port and its destination station on its egress port (OffloadStation, one port per
// (bridge, MAC, VLAN) as in the bridge's FDB) for the kernel to carry a frame; the ports'
// ingress VLANs and bridge (port_vlans) let the kernel see a station arrive on another port of
// its bridge (a move) in any frame. Each bridge is its own L2 domain: a bridge number (the
// sync's, OffloadBridge) keeps one MAC in one VLAN on two bridges two stations.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "ctl/config.hpp"
#include "switch/fdb.hpp"
#include "switch/vlan_policy.hpp"

namespace lvs::ctl {

inline constexpr const char* kKernelOffload = "kernel-offload";  // Open_vSwitch other_config
// Bounds: the kernel maps' size (offload_maps.h), and the eligible ports a bridge may have for
// the kernel to serve it (flows grow as stations x ports; a bigger bridge stays in userspace).
inline constexpr size_t kOffloadMaxEntries = 16384;
inline constexpr size_t kOffloadMaxPorts = 128;

// How the kernel hands a frame to a port's veth (offload_maps.h LVS_OUT_*): into its peer in
// another netns (a container's veth: bpf_redirect_peer) or out of it to its peer in this netns
// (the veth internal port's switch end: bpf_redirect to its egress).
enum class OffloadRedirect : uint8_t { kPeer, kEgress };

// A VXLAN port on the kernel vxlan device: its pseudo-ifindex (ports/offload/offload_maps.h).
inline constexpr int kOffloadTunnelBit = 0x40000000;
inline bool offload_is_tunnel(int ifindex) { return (ifindex & kOffloadTunnelBit) != 0; }

struct OffloadPort {
  std::string name;
  sw::PortIndex index = sw::kNoPort;
  int ifindex = 0;  // the veth frames of the port arrive on and leave by
  sw::VlanPolicy vlan;
  OffloadRedirect redirect = OffloadRedirect::kPeer;
};

// A frame arriving on `ifindex` carrying `mac` (destination in a flow, source in a station)
// with `tag`: 0 untagged, kOffloadTagged | vid tagged.
inline constexpr uint16_t kOffloadTagged = 0x8000;
struct OffloadKey {
  int ifindex = 0;
  uint64_t mac = 0;
  uint16_t tag = 0;
  auto operator<=>(const OffloadKey&) const = default;
};
enum class OffloadAction : uint8_t { kNone, kPop, kPush };
// A bridge's number in the kernel's maps (lvs_station_key.bridge), given by the sync.
using OffloadBridge = uint16_t;
struct OffloadFlow {
  std::string in_port, out_port;
  int out_ifindex = 0;
  uint16_t vlan = 0;  // the switch's VLAN of the frame
  OffloadBridge bridge = 0;
  OffloadAction action = OffloadAction::kNone;
  uint16_t push_vid = 0;
  OffloadRedirect redirect = OffloadRedirect::kPeer;  // the egress port's
  bool operator==(const OffloadFlow&) const = default;
};
// A station (MAC, VLAN of the switch, bridge) and the port the bridge's FDB has it on.
struct OffloadStationKey {
  uint64_t mac = 0;
  uint16_t vlan = 0;
  OffloadBridge bridge = 0;
  auto operator<=>(const OffloadStationKey&) const = default;
};
struct OffloadStation {
  std::string port;
  sw::PortIndex index = sw::kNoPort;
  int ifindex = 0;
  bool operator==(const OffloadStation&) const = default;
};
// A frame arriving on `ifindex` with `tag` is in VLAN port_vlans[{ifindex, tag}].vlan of the
// port's bridge.
struct OffloadPortTag {
  int ifindex = 0;
  uint16_t tag = 0;
  auto operator<=>(const OffloadPortTag&) const = default;
};
struct OffloadPortVlan {
  uint16_t vlan = 0;
  OffloadBridge bridge = 0;
  bool operator==(const OffloadPortVlan&) const = default;
};
struct OffloadPlan {
  std::map<OffloadKey, OffloadFlow> flows;
  std::map<OffloadStationKey, OffloadStation> stations;
  std::map<OffloadPortTag, OffloadPortVlan> port_vlans;
};

// True when the bridge's frames may be offloaded at all; else `why` says what keeps them out.
bool offload_bridge_eligible(const BridgeConfig& bridge, std::string* why = nullptr);
// True when the port may be (its kind and host end checked by the caller).
bool offload_port_eligible(const BridgeConfig& bridge, const PortConfig& port,
                           std::string* why = nullptr);
// The tags a frame can arrive with on a port of `policy` to be in VLAN `vid` (priority tags
// excluded: they stay in userspace).
std::vector<uint16_t> offload_ingress_tags(const sw::VlanPolicy& policy, uint16_t vid);
// Each bridge's number in the kernel's keys: a bridge of `bridges` already in `numbers` keeps
// its number, a new one gets the lowest free; bridges no longer configured lose theirs.
void number_offload_bridges(const std::vector<BridgeConfig>& bridges,
                            std::map<std::string, OffloadBridge>& numbers);
// The flows and stations of one bridge (number `bridge`) from its eligible ports and its FDB
// (entries older than `aging_ms` are left out: the switch no longer forwards by them), at most
// `max_entries` of each.
OffloadPlan plan_offload(OffloadBridge bridge, const std::vector<OffloadPort>& ports,
                         const std::vector<sw::FdbEntry>& fdb, uint64_t aging_ms,
                         size_t max_entries = kOffloadMaxEntries);

}  // namespace lvs::ctl
