// SPDX-License-Identifier: GPL-2.0
// The tunnel ports carried by one collect_md ("external") kernel vxlan device (maps:
// kernel_vxlan_maps.h). The kernel does the tunnel GSO and checksums; these programs only give
// each port its identity on the shared device.
//
// lvx_egress (tc clsact egress): a port's AF_PACKET socket marks its frames LVX_TX_MARK | id;
// the port's entry in lvx_tx becomes the frame's tunnel key (remote, local, VNI, TTL / TOS or
// inherited from the inner IP header, DF, UDP checksum). The mark is cleared so the underlay
// packet does not carry it into policy routing. Any other frame is dropped and counted.
//
// lvx_ingress (tc clsact ingress): AF_PACKET taps see frames before tc ingress, so on the first
// pass (tunnel key present, no mark) the (remote, local, VNI) is looked up in lvx_rx (then
// (remote, any local, VNI): a port with local_ip wins over one without), the frame marked
// LVX_RX_MARK | id and redirected to this device's ingress again; there the taps see it once
// more and the port's socket (a filter accepting only its rx mark) takes it; the second pass
// ends here (dropped: the host stack has no business with tunnel frames). A frame of no port is
// counted (per remote's port as no_tunnel, else as unknown) and dropped. With the kernel offload
// on, a marked frame first goes (tail call, lvx_offload) to the offload's program, which carries
// learnt unicast straight into a container's veth and sends the rest on as here.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "kernel_vxlan_maps.h"

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, LVX_MAX_PORTS);
  __type(key, __u32);
  __type(value, struct lvx_tx_val);
} lvx_tx SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 2 * LVX_MAX_PORTS);
  __type(key, struct lvx_rx_key);
  __type(value, __u32);
} lvx_rx SEC(".maps");

// [0]: the kernel offload's program for frames of the device's ports (ports/offload/
// offload.bpf.c, lvs_tc_tunnel_ingress), set while the offload serves one of them; empty: none.
struct {
  __uint(type, BPF_MAP_TYPE_PROG_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, __u32);
} lvx_offload SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, LVX_COUNTERS);
  __uint(map_flags, BPF_F_MMAPABLE);
  __type(key, __u32);
  __type(value, __u64);
} lvx_counters SEC(".maps");

static __always_inline void count(__u32 i) {
  __u64* c = bpf_map_lookup_elem(&lvx_counters, &i);
  if (c) __sync_fetch_and_add(c, 1);
}

// The inner IP header's TOS and TTL (for ttl / tos inherit); 0 when not IP.
static __always_inline void inner_tos_ttl(struct __sk_buff* skb, __u8* tos, __u8* ttl) {
  __u16 proto = 0;
  __u8 h[8];
  *tos = 0;
  *ttl = 0;
  if (bpf_skb_load_bytes(skb, 12, &proto, 2) < 0 || bpf_skb_load_bytes(skb, ETH_HLEN, h, 8) < 0)
    return;
  if (proto == bpf_htons(ETH_P_IP)) {
    *tos = h[1];
    if (bpf_skb_load_bytes(skb, ETH_HLEN + 8, ttl, 1) < 0) *ttl = 0;
  } else if (proto == bpf_htons(ETH_P_IPV6)) {
    *tos = (__u8)((h[0] << 4) | (h[1] >> 4));
    *ttl = h[7];
  }
}

SEC("tc")
int lvx_egress(struct __sk_buff* skb) {
  if ((skb->mark & LVX_MARK_MASK) != LVX_TX_MARK) {
    count(LVX_MAX_PORTS);
    return TC_ACT_SHOT;
  }
  __u32 id = skb->mark & LVX_ID_MASK;
  struct lvx_tx_val* v = bpf_map_lookup_elem(&lvx_tx, &id);
  if (!v) {
    count(LVX_MAX_PORTS);
    return TC_ACT_SHOT;
  }
  struct bpf_tunnel_key k = {};
  __u64 flags = 0;
  k.tunnel_id = v->vni;
  k.tunnel_ttl = v->ttl;
  k.tunnel_tos = v->tos;
  if (v->ttl_inherit || v->tos_inherit) {
    __u8 tos, ttl;
    inner_tos_ttl(skb, &tos, &ttl);
    if (v->tos_inherit) k.tunnel_tos = tos;
    if (v->ttl_inherit && ttl) k.tunnel_ttl = ttl;
  }
  if (v->ipv6) {
    flags |= BPF_F_TUNINFO_IPV6;
    __builtin_memcpy(k.remote_ipv6, v->remote, 16);
    __builtin_memcpy(k.local_ipv6, v->local, 16);
  } else {
    k.remote_ipv4 = bpf_ntohl(v->remote[0]);
    k.local_ipv4 = bpf_ntohl(v->local[0]);
    if (!v->csum) flags |= BPF_F_ZERO_CSUM_TX;
  }
  if (v->df) flags |= BPF_F_DONT_FRAGMENT;
  skb->mark = 0;
  if (bpf_skb_set_tunnel_key(skb, &k, sizeof(k), flags) < 0) return TC_ACT_SHOT;
  return TC_ACT_OK;
}

SEC("tc")
int lvx_ingress(struct __sk_buff* skb) {
  if ((skb->mark & LVX_MARK_MASK) == LVX_RX_MARK) return TC_ACT_SHOT;  // second pass: taps done
  struct bpf_tunnel_key k = {};
  struct lvx_rx_key rk = {};
  // The full struct (kernel >= 6.0, as lvx_egress needs too): the shorter, older sizes stop
  // before local_ipv4 / local_ipv6, the packet's outer destination address.
  if (bpf_skb_get_tunnel_key(skb, &k, sizeof(k), 0) == 0) {
    rk.remote[0] = bpf_htonl(k.remote_ipv4);
    rk.local[0] = bpf_htonl(k.local_ipv4);
  } else if (bpf_skb_get_tunnel_key(skb, &k, sizeof(k), BPF_F_TUNINFO_IPV6) == 0) {
    __builtin_memcpy(rk.remote, k.remote_ipv6, 16);
    __builtin_memcpy(rk.local, k.local_ipv6, 16);
    rk.ipv6 = 1;
  } else {
    count(0);
    return TC_ACT_SHOT;
  }
  rk.vni = k.tunnel_id;
  __u32* id = bpf_map_lookup_elem(&lvx_rx, &rk);
  if (!id) {  // no port of this local address: the remote's port without local_ip
    __builtin_memset(rk.local, 0, sizeof(rk.local));
    id = bpf_map_lookup_elem(&lvx_rx, &rk);
  }
  if (!id) {
    rk.vni = LVX_ANY_VNI;
    id = bpf_map_lookup_elem(&lvx_rx, &rk);
    count(id ? (*id & LVX_ID_MASK) : 0);
    return TC_ACT_SHOT;
  }
  skb->mark = LVX_RX_MARK | (*id & LVX_ID_MASK);
  bpf_tail_call(skb, &lvx_offload, 0);  // returns only when no offload program is set
  return bpf_redirect(skb->ifindex, BPF_F_INGRESS);
}

char LICENSE[] SEC("license") = "GPL";
