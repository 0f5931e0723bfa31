// The maps shared by offload.bpf.c and the loader (offload_loader.hpp): one layout, C and C++.
#ifndef LVS_OFFLOAD_MAPS_H
#define LVS_OFFLOAD_MAPS_H
#include <linux/types.h>

#define LVS_OFFLOAD_MAX_FLOWS 16384
#define LVS_TAGGED 0x8000  // lvs_flow_key.tag: 802.1Q tag present, VID in the low 12 bits

enum { LVS_ACT_NONE = 0, LVS_ACT_POP = 1, LVS_ACT_PUSH = 2 };

// A frame arriving on `ifindex` (a port's host-side veth) with this MAC and tag. In lvs_flows
// the MAC is the destination, in lvs_stations the source (a station learnt on that port).
struct lvs_flow_key {
  __u32 ifindex;
  __u8 mac[6];
  __u16 tag;  // 0: untagged; LVS_TAGGED | vid
};

struct lvs_flow_val {
  __u32 out_ifindex;  // egress port's host-side veth: the frame goes into its peer
  __u16 action;       // LVS_ACT_*
  __u16 push_vid;     // LVS_ACT_PUSH: the tag pushed (PCP 0)
  __u64 packets;
  __u64 bytes;  // as received, tag included
  __u64 last_used_ns;  // bpf_ktime_get_ns (CLOCK_MONOTONIC)
};

struct lvs_station_val {
  __u64 last_seen_ns;  // as a source of an offloaded frame
};

#endif
