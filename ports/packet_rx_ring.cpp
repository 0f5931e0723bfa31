#include "ports/packet_rx_ring.hpp"

#include <sys/mman.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

namespace lvs::ports {

static_assert(kRingBlockSize % kRingFrameSize == 0);

PacketRxRing::~PacketRxRing() {
  if (base_ != nullptr) munmap(base_, bytes_);
}

bool PacketRxRing::attach(int fd, uint32_t frames, std::string& error) {
  const uint32_t per_block = kRingBlockSize / kRingFrameSize;
  frames = (frames + per_block - 1) / per_block * per_block;
  const int version = TPACKET_V2;
  if (setsockopt(fd, SOL_PACKET, PACKET_VERSION, &version, sizeof(version)) != 0) {
    error = std::string("PACKET_VERSION TPACKET_V2: ") + std::strerror(errno);
    return false;
  }
  // Frames longer than a slot: cut short in the ring, queued whole on the socket.
  const int copy = 1;
  if (setsockopt(fd, SOL_PACKET, PACKET_COPY_THRESH, &copy, sizeof(copy)) != 0) {
    error = std::string("PACKET_COPY_THRESH: ") + std::strerror(errno);
    return false;
  }
  tpacket_req req{};
  req.tp_block_size = kRingBlockSize;
  req.tp_block_nr = frames / per_block;
  req.tp_frame_size = kRingFrameSize;
  req.tp_frame_nr = frames;
  if (setsockopt(fd, SOL_PACKET, PACKET_RX_RING, &req, sizeof(req)) != 0) {
    error = std::string("PACKET_RX_RING: ") + std::strerror(errno);
    return false;
  }
  const size_t bytes = static_cast<size_t>(frames) * kRingFrameSize;
  void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (p == MAP_FAILED) {
    error = std::string("mmap of the receive ring: ") + std::strerror(errno);
    // Take the ring off again, or the kernel would fill it and recvmmsg would see nothing.
    const tpacket_req none{};
    setsockopt(fd, SOL_PACKET, PACKET_RX_RING, &none, sizeof(none));
    return false;
  }
  base_ = static_cast<uint8_t*>(p);
  bytes_ = bytes;
  frames_ = frames;
  head_ = 0;
  return true;
}

}  // namespace lvs::ports
