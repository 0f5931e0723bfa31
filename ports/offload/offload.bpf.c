// SPDX-License-Identifier: GPL-2.0
// Kernel offload of decided unicast between veth host ends (offload_maps.h has the layout).
//
// lvs_tc_ingress (tc clsact ingress of a port's host-side veth): a frame whose (ingress ifindex,
// dst MAC, tag) has an entry in lvs_flows and whose source station is known on this port in
// lvs_stations is tagged/untagged as the entry says and redirected with bpf_redirect_peer into
// the egress veth's container end (GSO frames stay whole); counters and last-used times are
// updated in place. Everything else goes on (TC_ACT_OK) to the switch's AF_PACKET socket.
// lvs_sock_filter (SO_ATTACH_BPF on that socket): AF_PACKET taps see frames before tc ingress,
// so the socket drops exactly what lvs_tc_ingress will redirect (the same two lookups).
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "offload_maps.h"

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, LVS_OFFLOAD_MAX_FLOWS);
  __type(key, struct lvs_flow_key);
  __type(value, struct lvs_flow_val);
} lvs_flows SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, LVS_OFFLOAD_MAX_FLOWS);
  __type(key, struct lvs_flow_key);
  __type(value, struct lvs_station_val);
} lvs_stations SEC(".maps");

// Fills both keys from the frame; 0 when the frame is no candidate (priority tag, short).
static __always_inline int make_keys(struct __sk_buff* skb, struct lvs_flow_key* dst,
                                     struct lvs_flow_key* src) {
  __u8 macs[12];
  if (bpf_skb_load_bytes(skb, 0, macs, sizeof(macs)) < 0) return 0;
  __u16 tag = 0;
  if (skb->vlan_present) {
    __u16 vid = skb->vlan_tci & 0x0fff;
    if (vid == 0 || skb->vlan_proto != bpf_htons(ETH_P_8021Q)) return 0;
    tag = LVS_TAGGED | vid;
  }
  __builtin_memset(dst, 0, sizeof(*dst));
  __builtin_memset(src, 0, sizeof(*src));
  dst->ifindex = src->ifindex = skb->ifindex;
  dst->tag = src->tag = tag;
  __builtin_memcpy(dst->mac, macs, 6);
  __builtin_memcpy(src->mac, macs + 6, 6);
  return 1;
}

SEC("tc")
int lvs_tc_ingress(struct __sk_buff* skb) {
  struct lvs_flow_key dst, src;
  if (!make_keys(skb, &dst, &src)) return TC_ACT_OK;
  struct lvs_flow_val* flow = bpf_map_lookup_elem(&lvs_flows, &dst);
  if (!flow) return TC_ACT_OK;
  struct lvs_station_val* station = bpf_map_lookup_elem(&lvs_stations, &src);
  if (!station) return TC_ACT_OK;
  const __u64 now = bpf_ktime_get_ns();
  const __u32 len = skb->len + (skb->vlan_present ? 4 : 0);
  if (flow->action == LVS_ACT_POP) {
    if (bpf_skb_vlan_pop(skb) < 0) return TC_ACT_OK;
  } else if (flow->action == LVS_ACT_PUSH) {
    if (bpf_skb_vlan_push(skb, bpf_htons(ETH_P_8021Q), flow->push_vid) < 0) return TC_ACT_OK;
  }
  __sync_fetch_and_add(&flow->packets, 1);
  __sync_fetch_and_add(&flow->bytes, len);
  flow->last_used_ns = now;
  station->last_seen_ns = now;
  return bpf_redirect_peer(flow->out_ifindex, 0);
}

SEC("socket")
int lvs_sock_filter(struct __sk_buff* skb) {
  struct lvs_flow_key dst, src;
  if (!make_keys(skb, &dst, &src)) return -1;
  if (bpf_map_lookup_elem(&lvs_flows, &dst) && bpf_map_lookup_elem(&lvs_stations, &src)) return 0;
  return -1;  // the whole frame
}

char LICENSE[] SEC("license") = "GPL";
