// SPDX-License-Identifier: GPL-2.0
// Kernel offload of decided unicast between veth host ends (offload_maps.h has the layout).
//
// decide(): a frame whose (ingress ifindex, dst MAC, tag) has an entry in lvs_flows, whose
// source station is on this port and whose destination station is on the entry's egress port
// (lvs_stations, keyed by MAC, VLAN and bridge; neither marked moved) is the kernel's: counters
// and last-used times are updated and it goes, tagged/untagged as the entry says, to the egress
// veth's peer (GSO frames stay whole): with bpf_redirect_peer into a container's end, or with
// bpf_redirect to the egress of the veth internal port's switch end, whose peer (the host's
// bridge interface) is in this netns, where bpf_redirect_peer cannot go (a tunnel port: see
// carry()). A source MAC whose station in the frame's bridge is on another port marks that
// station moved (one map write, on the first such frame): from then on no frame is redirected
// to or from it until the switch, which gets this frame, re-plans. The bridge comes with the
// VLAN from the flow entry, or without one from lvs_port_vlans: a port is on one bridge, so the
// same MAC on another bridge is another station, never a move.
//
// Each frame is decided once. AF_PACKET taps see frames before tc ingress, so lvs_sock_filter
// (SO_ATTACH_BPF on the switch's socket of the port) decides, drops the kernel's frames and
// writes the decision into skb->cb; lvs_tc_ingress (tc clsact ingress of the same veth) carries
// it out. A map change between the two cannot make a frame go both ways or neither. Without a
// decision in cb (no switch socket on the port) tc ingress decides by itself.
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
  __type(key, struct lvs_station_key);
  __type(value, struct lvs_station_val);
} lvs_stations SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, LVS_OFFLOAD_MAX_FLOWS);
  __type(key, struct lvs_port_key);
  __type(value, struct lvs_port_val);
} lvs_port_vlans SEC(".maps");

struct decision {
  __u32 out_ifindex;  // 0: userspace
  __u32 action;       // action | push_vid << 16
  __u32 out_kind;     // LVS_OUT_*
};

// `ifindex`: the frame's port (its veth's, or a tunnel port's pseudo-ifindex).
static __always_inline int decide(struct __sk_buff* skb, struct decision* d, const __u32 ifindex) {
  d->out_ifindex = 0;
  d->action = 0;
  d->out_kind = LVS_OUT_PEER;
  __u8 macs[12];
  if (bpf_skb_load_bytes(skb, 0, macs, sizeof(macs)) < 0) return 0;
  __u16 tag = 0;
  if (skb->vlan_present) {
    __u16 vid = skb->vlan_tci & 0x0fff;
    if (vid == 0 || skb->vlan_proto != bpf_htons(ETH_P_8021Q)) return 0;
    tag = LVS_TAGGED | vid;
  }
  struct lvs_flow_key fk;
  __builtin_memset(&fk, 0, sizeof(fk));
  fk.ifindex = ifindex;
  fk.tag = tag;
  __builtin_memcpy(fk.mac, macs, 6);
  struct lvs_flow_val* flow = bpf_map_lookup_elem(&lvs_flows, &fk);
  struct lvs_station_key sk;
  __builtin_memset(&sk, 0, sizeof(sk));
  __builtin_memcpy(sk.mac, macs + 6, 6);
  if (flow) {
    sk.vlan = flow->vlan;
    sk.bridge = flow->bridge;
  } else {  // no entry: only a moved source station to look for
    struct lvs_port_key pk = {.ifindex = ifindex, .tag = tag, .pad = 0};
    const struct lvs_port_val* pv = bpf_map_lookup_elem(&lvs_port_vlans, &pk);
    if (!pv) return 0;
    sk.vlan = pv->vlan;
    sk.bridge = pv->bridge;
  }
  struct lvs_station_val* src = bpf_map_lookup_elem(&lvs_stations, &sk);
  if (!src) return 0;
  if (src->ifindex != ifindex) {
    if (!src->moved) src->moved = 1;
    return 0;
  }
  if (!flow || src->moved) return 0;
  __builtin_memcpy(sk.mac, macs, 6);
  const struct lvs_station_val* dst = bpf_map_lookup_elem(&lvs_stations, &sk);
  if (!dst || dst->ifindex != flow->out_ifindex || dst->moved) return 0;
  const __u64 now = bpf_ktime_get_ns();
  __sync_fetch_and_add(&flow->packets, 1);
  __sync_fetch_and_add(&flow->bytes, skb->len + (skb->vlan_present ? 4 : 0));
  flow->last_used_ns = now;
  src->last_seen_ns = now;
  d->out_ifindex = flow->out_ifindex;
  d->action = flow->action | (__u32)flow->push_vid << 16;
  d->out_kind = flow->out_kind;
  return 1;
}

// Carries out a decision: the tag push/pop, then into the egress veth's peer, or for a tunnel
// port with its send mark to the vxlan device's egress, or (LVS_OUT_EGRESS: the veth internal
// port's switch end) out of the veth to its peer in this netns. `fail`: what a failed push/pop returns.
static __always_inline int carry(struct __sk_buff* skb, const struct decision* d, int fail) {
  if ((d->action & 0xffff) == LVS_ACT_POP) {
    if (bpf_skb_vlan_pop(skb) < 0) return fail;
  } else if ((d->action & 0xffff) == LVS_ACT_PUSH) {
    if (bpf_skb_vlan_push(skb, bpf_htons(ETH_P_8021Q), d->action >> 16) < 0) return fail;
  }
  if (d->out_ifindex & LVS_TUNNEL_OUT) {
    skb->mark = LVS_TUNNEL_TX_MARK | (d->out_ifindex & ((1u << LVS_TUNNEL_ID_BITS) - 1));
    return bpf_redirect((d->out_ifindex & ~LVS_TUNNEL_OUT) >> LVS_TUNNEL_ID_BITS, 0);
  }
  if (d->out_kind == LVS_OUT_EGRESS) return bpf_redirect(d->out_ifindex, 0);
  return bpf_redirect_peer(d->out_ifindex, 0);
}

SEC("tc")
int lvs_tc_ingress(struct __sk_buff* skb) {
  struct decision d;
  const int decided = skb->cb[0] == LVS_CB_DECIDED && skb->cb[1] == skb->ifindex;
  if (decided) {
    d.out_ifindex = skb->cb[2];
    d.action = skb->cb[3];
    d.out_kind = skb->cb[4];
    skb->cb[0] = 0;
  } else if (!decide(skb, &d, skb->ifindex)) {
    return TC_ACT_OK;
  }
  if (!d.out_ifindex) return TC_ACT_OK;
  // The switch's socket dropped a frame decided here: failing now loses it (out of memory only).
  return carry(skb, &d, decided ? TC_ACT_SHOT : TC_ACT_OK);
}

// Tail-called by the vxlan device's tc ingress (tunnels/bpf/kernel_vxlan.bpf.c) for a frame it
// marked LVS_TUNNEL_RX_MARK | id, before any tap saw it: decided here once; the switch's frames
// go back as that program would have sent them (to the device's ingress again, where the port's
// socket takes them). A tunnel port's frames never go to another tunnel (split horizon: the
// plan has no such flow).
SEC("tc")
int lvs_tc_tunnel_ingress(struct __sk_buff* skb) {
  struct decision d;
  if ((skb->mark & LVS_TUNNEL_MARK_MASK) != LVS_TUNNEL_RX_MARK ||
      skb->ifindex >= LVS_TUNNEL_MAX_DEV_IFINDEX ||
      !decide(skb, &d, lvs_tunnel_ifindex(skb->ifindex, skb->mark)) || !d.out_ifindex ||
      (d.out_ifindex & LVS_TUNNEL_OUT))
    return bpf_redirect(skb->ifindex, BPF_F_INGRESS);
  skb->mark = 0;
  return carry(skb, &d, TC_ACT_SHOT);
}

SEC("socket")
int lvs_sock_filter(struct __sk_buff* skb) {
  struct decision d;
  decide(skb, &d, skb->ifindex);
  skb->cb[0] = LVS_CB_DECIDED;
  skb->cb[1] = skb->ifindex;
  skb->cb[2] = d.out_ifindex;
  skb->cb[3] = d.action;
  skb->cb[4] = d.out_kind;
  return d.out_ifindex ? 0 : -1;  // the kernel's: not to the switch; else the whole frame
}

char LICENSE[] SEC("license") = "GPL";
