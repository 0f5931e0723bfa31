#pragma once
// AF_PACKET hands a received frame's 802.1Q tag over outside the frame (the kernel's receive
// path moved it into skb metadata): in PACKET_AUXDATA on the recvmmsg path, in the slot's
// tpacket2_hdr on the ring. Both put it back here, where the switch expects it.
#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <rte_mbuf.h>

#include <cstdint>
#include <cstring>

#include "ports/vnet_header.hpp"

namespace lvs::ports {

// `status`, `tpid`, `tci`: the tp_status, tp_vlan_tpid and tp_vlan_tci the kernel reported.
// The virtio-net header's offsets, which the kernel computed without the tag, move with it.
// False when there was no tag, or no headroom to put it back.
inline bool reinsert_vlan_tag(rte_mbuf* m, uint32_t status, uint16_t tpid, uint16_t tci,
                              VnetHeader& vnet) {
  if (!(status & TP_STATUS_VLAN_VALID)) return false;
  if (!(status & TP_STATUS_VLAN_TPID_VALID)) tpid = 0x8100;
  auto* p = reinterpret_cast<uint8_t*>(rte_pktmbuf_prepend(m, 4));
  if (p == nullptr) return false;
  std::memmove(p, p + 4, 12);
  const uint16_t tag[2] = {htons(tpid), htons(tci)};
  std::memcpy(p + 12, tag, sizeof(tag));
  if (vnet.flags & kVnetNeedsCsum) vnet.csum_start += 4;
  if (vnet.hdr_len) vnet.hdr_len += 4;
  return true;
}

}  // namespace lvs::ports
