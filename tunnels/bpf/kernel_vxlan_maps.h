/* SPDX-License-Identifier: GPL-2.0 */
/* Maps of kernel_vxlan.bpf.c, shared with C++ (tunnels/kernel_vxlan_device.cpp): the tunnel
 * ports carried by one collect_md vxlan device (tunnels/README.md, "kernel vxlan device"). */
#pragma once
#include <linux/types.h>

/* A port's socket marks what it sends LVX_TX_MARK | id; the device's tc ingress marks what it
 * takes for port id LVX_RX_MARK | id before handing it to the taps (the port's socket filter). */
#define LVX_MARK_MASK 0xffff0000u
#define LVX_ID_MASK 0x0000ffffu  /* ids < LVX_MAX_PORTS: 12 bits (ports/offload/offload_maps.h) */
#define LVX_TX_MARK 0x4c560000u
#define LVX_RX_MARK 0x4c570000u
#define LVX_MAX_PORTS 4096
/* lvx_rx key with this VNI (and local all zero): (remote) -> a port of that remote, for counting
 * no_tunnel. */
#define LVX_ANY_VNI 0xffffffffu

/* lvx_tx: port id -> the tunnel key its frames leave with. Addresses in network byte order. */
struct lvx_tx_val {
  __u32 remote[4]; /* IPv4 in remote[0] */
  __u32 local[4];  /* all zero: chosen by the routes */
  __u32 vni;
  __u8 ipv6;
  __u8 ttl;
  __u8 tos;
  __u8 ttl_inherit;
  __u8 tos_inherit;
  __u8 df;
  __u8 csum;
  __u8 pad;
};

/* lvx_rx: (remote, local, VNI) -> port id. A port without local_ip has local all zero: the
 * wildcard, looked up when no port has the packet's own local (outer destination) address. */
struct lvx_rx_key {
  __u32 remote[4]; /* network byte order; IPv4 in remote[0], the rest zero */
  __u32 local[4];  /* the same; all zero: any local address */
  __u32 vni;
  __u32 ipv6;
};

/* lvx_counters (array, mmapable): [0] packets of no known remote, [id] no_tunnel of port id
 * (from its remote with another VNI), [LVX_MAX_PORTS] unknown send marks dropped. */
#define LVX_COUNTERS (LVX_MAX_PORTS + 1)
