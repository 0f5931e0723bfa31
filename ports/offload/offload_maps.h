// The maps shared by offload.bpf.c and the loader (offload_kernel.hpp): one layout, C and C++.
#ifndef LVS_OFFLOAD_MAPS_H
#define LVS_OFFLOAD_MAPS_H
#include <linux/types.h>

#define LVS_OFFLOAD_MAX_FLOWS 16384
#define LVS_TAGGED 0x8000  // lvs_flow_key.tag: 802.1Q tag present, VID in the low 12 bits
// skb->cb[0] of a frame the socket filter decided (cb[1]: its ingress ifindex, cb[2]: the
// egress ifindex or 0 for userspace, cb[3]: action | push_vid << 16, cb[4]: the LVS_OUT_* kind);
// tc ingress follows it.
#define LVS_CB_DECIDED 0x4c56d3c1u

enum { LVS_ACT_NONE = 0, LVS_ACT_POP = 1, LVS_ACT_PUSH = 2 };
// lvs_flow_val.out_kind: how the frame leaves for out_ifindex.
enum {
  LVS_OUT_PEER = 0,    // bpf_redirect_peer: into the veth's other end, in another netns (a
                       // container's veth)
  LVS_OUT_EGRESS = 1,  // bpf_redirect to its egress: to the peer in this netns (the veth
                       // internal port's switch end, whose peer is the host's bridge interface)
};

// A VXLAN port on the kernel vxlan device (tunnels/kernel_vxlan_port.hpp) has no veth of its
// own: its identity in lvs_flows / lvs_stations / lvs_port_vlans is this pseudo-ifindex, the
// device's ifindex and the port's id on it. A frame for it goes with the port's send mark
// (tunnels/bpf/kernel_vxlan_maps.h: LVX_TX_MARK | id) to the device's egress, whose tc program
// sets the tunnel key; frames from it arrive at lvs_tc_tunnel_ingress (tail-called by the
// device's ingress program, marked LVX_RX_MARK | id).
#define LVS_TUNNEL_OUT 0x40000000u
#define LVS_TUNNEL_ID_BITS 12
#define LVS_TUNNEL_MAX_DEV_IFINDEX (1u << 18)
#define LVS_TUNNEL_TX_MARK 0x4c560000u
#define LVS_TUNNEL_RX_MARK 0x4c570000u
#define LVS_TUNNEL_MARK_MASK 0xffff0000u
static inline __u32 lvs_tunnel_ifindex(__u32 dev_ifindex, __u32 id) {
  return LVS_TUNNEL_OUT | dev_ifindex << LVS_TUNNEL_ID_BITS | (id & ((1u << LVS_TUNNEL_ID_BITS) - 1));
}

// lvs_flows: a frame arriving on `ifindex` (a port's host-side veth) with this destination MAC
// and tag.
struct lvs_flow_key {
  __u32 ifindex;
  __u8 mac[6];
  __u16 tag;  // 0: untagged; LVS_TAGGED | vid
};

struct lvs_flow_val {
  __u32 out_ifindex;  // egress port's veth (as out_kind says, the frame goes to its peer)
  __u16 action;       // LVS_ACT_*
  __u16 push_vid;     // LVS_ACT_PUSH: the tag pushed (PCP 0)
  __u16 vlan;         // the switch's VLAN of the frame (with bridge: its stations' key)
  __u16 out_kind;     // LVS_OUT_*
  __u16 bridge;       // the number of the frame's bridge (lvs_station_key.bridge)
  __u16 pad;
  __u64 packets;
  __u64 bytes;  // as received, tag included
  __u64 last_used_ns;  // bpf_ktime_get_ns (CLOCK_MONOTONIC)
};

// lvs_stations: where the switch's FDB has (MAC, VLAN) on a bridge: one port per station, as in
// the bridge's FDB. Each bridge is its own L2 domain: the same MAC and VLAN on two bridges are
// two stations. `bridge`: a small number the sync gives each bridge (ctl/offload/offload_sync).
struct lvs_station_key {
  __u8 mac[6];
  __u16 vlan;
  __u16 bridge;
  __u16 pad;  // 0 (hash keys compare every byte)
};
struct lvs_station_val {
  __u32 ifindex;       // the station's port (host-side veth)
  __u32 moved;         // set by the kernel: the MAC was seen arriving on another port
  __u64 last_seen_ns;  // as a source of an offloaded frame
};

// lvs_port_vlans: the VLAN a frame with `tag` arriving on `ifindex` is in (the port's VLAN
// policy, for the VLANs that have offloaded stations) and the port's bridge: stations moved
// here are seen by any frame.
struct lvs_port_key {
  __u32 ifindex;
  __u16 tag;
  __u16 pad;
};
struct lvs_port_val {
  __u16 vlan;
  __u16 bridge;  // lvs_station_key.bridge
};

#endif
