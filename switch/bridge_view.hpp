#pragma once
// What a PMD sees of one bridge: an immutable part of a published configuration snapshot.
#include <memory>
#include <string>
#include <vector>

#include "switch/fdb.hpp"
#include "switch/flood_table.hpp"
#include "switch/mirror.hpp"
#include "switch/neighbour_table.hpp"
#include "switch/port.hpp"
#include "switch/rx_filter.hpp"
#include "switch/stp_hooks.hpp"
#include "switch/vlan_policy.hpp"

namespace lvs::sw {

struct BridgePortView {
  std::shared_ptr<Port> port;  // null for a free index; keeps the port alive for PMDs
  VlanPolicy vlan;
  bool admin_up = true;
  uint32_t tx_slot = 0;  // this port's slot in each PMD's TX batches
  // Frames never pass between two ports of the same non-zero group (tunnels: a full mesh of
  // hosts must not loop).
  uint8_t split_horizon_group = 0;
  bool protected_port = false;  // never to or from another protected port (datapath.hpp)
  std::shared_ptr<RxFilter> rx_filter;  // see rx_filter.hpp; null for most ports
  uint32_t rx_mirrors = 0;  // the bridge's mirrors (MirrorTable bits) of what this port receives
};

struct BridgeView {
  std::string name;
  std::vector<BridgePortView> ports;  // indexed by PortIndex
  FloodTable flood;
  std::shared_ptr<Fdb> fdb;
  bool forward_bpdu = false;
  // Spanning tree (stp_hooks.hpp): port states and the BPDU queue; null when RSTP is off.
  std::shared_ptr<StpHooks> stp;
  std::shared_ptr<const MirrorTable> mirrors;  // null without mirrors
  // ARP / ND suppression (neighbour_suppress.hpp); its table is swapped apart from the snapshot.
  std::shared_ptr<NeighbourTables> neighbours;
};

}  // namespace lvs::sw
