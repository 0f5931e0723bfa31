#pragma once
// Crafting and inspecting test frames (as rte_mbufs).
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "switch/types.hpp"

namespace lvs::test {

struct FrameSpec {
  std::string dst = "ff:ff:ff:ff:ff:ff";
  std::string src = "02:00:00:00:00:01";
  std::optional<uint16_t> vid;  // 802.1Q tag when set (0 = priority tag)
  uint8_t pcp = 0;
  uint16_t ethertype = 0x0800;  // IPv4: a valid 20-byte header starts the payload
  uint16_t payload = 46;        // bytes after the EtherType
  uint8_t fill = 0xab;
};

std::vector<uint8_t> frame_bytes(const FrameSpec& spec);
rte_mbuf* make_frame(rte_mempool* pool, const FrameSpec& spec);
rte_mbuf* make_raw(rte_mempool* pool, const std::vector<uint8_t>& bytes);
// The frame's bytes, all segments joined.
std::vector<uint8_t> bytes_of(const rte_mbuf* m);

// What came out of a port, decoded.
struct Seen {
  std::string dst, src;
  bool tagged = false;
  uint16_t vid = 0;
  uint8_t pcp = 0;
  uint16_t ethertype = 0;
  size_t length = 0;
  bool payload_intact = true;  // payload bytes equal FrameSpec::fill
};
Seen decode(const rte_mbuf* m, uint8_t fill = 0xab);

rte_mempool* test_pool();  // one shared pool per test process

}  // namespace lvs::test
