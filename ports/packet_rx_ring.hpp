#pragma once
// A TPACKET_V2 receive ring on an AF_PACKET socket (the `system` kind's default receive path):
// the kernel writes each frame, virtio-net header in front, into a slot of memory shared with us
// and flips the slot's status; reading a burst takes no syscall at all. Slots are small
// (kRingFrameSize): frames longer than a slot (TSO/GSO super-frames, jumbo frames) are marked
// TP_STATUS_COPY and queued whole on the socket as well (PACKET_COPY_THRESH), where one
// recvmmsg per burst fetches them, in ring order, with their virtio-net headers.
//
// Why V2 and not V3: V3 hands over whole blocks, on fill or on a timer of >= 1 ms, which a ping
// between containers would wait out. V2 hands over every frame as it lands.
#include <linux/if_packet.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "ports/vnet_header.hpp"

namespace lvs::ports {

// Slot size: a full 1500-MTU frame (1518 with a tag) fits behind the 76 bytes of tpacket2_hdr,
// sockaddr_ll and virtio-net header.
inline constexpr uint32_t kRingFrameSize = 2048;
inline constexpr uint32_t kRingBlockSize = 4096;  // order-0 pages: no compaction at open
inline constexpr uint32_t kRingFrames = 256;           // 512 KiB a port

class PacketRxRing {
 public:
  PacketRxRing() = default;
  ~PacketRxRing();
  PacketRxRing(const PacketRxRing&) = delete;
  PacketRxRing& operator=(const PacketRxRing&) = delete;

  // Puts a ring of `frames` slots on `fd` (PACKET_VNET_HDR already set; before bind(), so that
  // no frame is queued outside the ring). False with `error` set when the kernel refuses.
  bool attach(int fd, uint32_t frames, std::string& error);
  bool active() const { return base_ != nullptr; }

  // The i-th slot after the next one to read when the kernel has filled it, else nullptr.
  tpacket2_hdr* ready(uint32_t i) const {
    auto* h = slot(i);
    return (__atomic_load_n(&h->tp_status, __ATOMIC_ACQUIRE) & TP_STATUS_USER) ? h : nullptr;
  }
  // Hands the next `n` slots back to the kernel.
  void release(uint32_t n) {
    for (uint32_t i = 0; i < n; ++i) __atomic_store_n(&slot(i)->tp_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);
    head_ = (head_ + n) % frames_;
  }
  uint32_t frames() const { return frames_; }

  static const uint8_t* frame_data(const tpacket2_hdr* h) {
    return reinterpret_cast<const uint8_t*>(h) + h->tp_mac;
  }
  static const VnetHeader* frame_vnet(const tpacket2_hdr* h) {
    return reinterpret_cast<const VnetHeader*>(frame_data(h) - sizeof(VnetHeader));
  }

 private:
  tpacket2_hdr* slot(uint32_t i) const {
    return reinterpret_cast<tpacket2_hdr*>(base_ + static_cast<size_t>((head_ + i) % frames_) * kRingFrameSize);
  }
  uint8_t* base_ = nullptr;
  size_t bytes_ = 0;
  uint32_t frames_ = 1;
  uint32_t head_ = 0;
};

}  // namespace lvs::ports
