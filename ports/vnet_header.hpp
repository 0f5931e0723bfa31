#pragma once
// virtio-net header <-> rte_mbuf offload flags, shared by every port kind that talks to the kernel
// with virtio-net headers (AF_PACKET with PACKET_VNET_HDR, tap with IFF_VNET_HDR).
//
// The kernel hands over frames whose checksum is still pending (CHECKSUM_PARTIAL) and TSO/GSO
// super-frames up to 64 KiB. Keeping that metadata across the switch is what lets TCP between
// containers run at kernel speed: whoever finally needs the frame segmented does it (or nobody).
//
// Receive (vnet_to_mbuf):
//   NEEDS_CSUM with csum_offset 16 / 6 -> RTE_MBUF_F_TX_TCP_CKSUM / UDP_CKSUM, l2_len from the
//     Ethernet header (and 802.1Q tags), l3_len = csum_start - l2_len. The field already holds the
//     pseudo-header sum: that is DPDK's convention for these flags too, so no data is touched.
//     Any other csum_offset (rare) is finished in software here.
//   GSO TCPV4/TCPV6 -> RTE_MBUF_F_TX_TCP_SEG + TCP_CKSUM, tso_segsz = gso_size, l4_len from the TCP
//     header; GSO UDP_L4 -> RTE_MBUF_F_TX_UDP_SEG. IPv4/IPv6 flags from the EtherType.
//   DATA_VALID -> RTE_MBUF_F_RX_L4_CKSUM_GOOD.
// Transmit (mbuf_to_vnet) is the inverse; csum_start is l2_len + l3_len, so a tag pushed or popped
// by the switch (which adjusts l2_len) is accounted for. The GSO ECN bit has no mbuf flag: it is
// rebuilt from the TCP CWR flag, which is what the kernel does when it sets it.
// RTE_MBUF_F_TX_IP_CKSUM (no virtio equivalent) is finished in software.
#include <rte_mbuf.h>

#include <cstdint>

namespace lvs::ports {

// struct virtio_net_hdr of <linux/virtio_net.h>, which C++ cannot include (a member named
// `class`). 10 bytes; AF_PACKET and tap use host byte order on little-endian hosts.
struct VnetHeader {
  uint8_t flags;
  uint8_t gso_type;
  uint16_t hdr_len;
  uint16_t gso_size;
  uint16_t csum_start;
  uint16_t csum_offset;
};
static_assert(sizeof(VnetHeader) == 10);

inline constexpr uint8_t kVnetNeedsCsum = 1;
inline constexpr uint8_t kVnetDataValid = 2;
inline constexpr uint8_t kVnetGsoNone = 0;
inline constexpr uint8_t kVnetGsoTcpV4 = 1;
inline constexpr uint8_t kVnetGsoUdp = 3;  // legacy UFO
inline constexpr uint8_t kVnetGsoTcpV6 = 4;
inline constexpr uint8_t kVnetGsoUdpL4 = 5;  // Linux 5.18+: UDP segmentation offload
inline constexpr uint8_t kVnetGsoEcn = 0x80;

enum class VnetRx : uint8_t {
  kPlain,    // no offload metadata
  kCsum,     // checksum pending, carried as flags
  kGso,      // TSO/GSO super-frame, carried as flags
  kInvalid,  // header inconsistent with the frame: drop it
};

// What a burst's frames carried, for the ports' counters.
struct VnetRxTally {
  uint64_t gso = 0, csum = 0, invalid = 0;
  // Counts one frame; false when it must be dropped.
  bool add(VnetRx r) {
    gso += r == VnetRx::kGso;
    csum += r == VnetRx::kCsum;
    invalid += r == VnetRx::kInvalid;
    return r != VnetRx::kInvalid;
  }
};

// Sets the offload fields of `m` (a freshly received frame, first segment holding its headers)
// from `h`. Returns what the frame carries.
VnetRx vnet_to_mbuf(const VnetHeader& h, rte_mbuf* m);

// Fills `h` from the offload fields of `m`. May write into the frame (software IPv4 header
// checksum, software L4 checksum for flags virtio cannot carry).
void mbuf_to_vnet(rte_mbuf* m, VnetHeader& h);

// Bytes of Ethernet header before the L3 header: 14, plus 4 per 802.1Q / 802.1ad tag.
// Returns 0 when the first segment is too short. Writes the inner EtherType to `ether_type`.
uint16_t ethernet_header_len(const rte_mbuf* m, uint16_t& ether_type);

}  // namespace lvs::ports
