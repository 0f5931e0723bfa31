#include "switch/rstp/bpdu.hpp"

#include <cstdio>

namespace lvs::sw::rstp {
namespace {

void put16(std::vector<uint8_t>& b, uint16_t v) {
  b.push_back(static_cast<uint8_t>(v >> 8));
  b.push_back(static_cast<uint8_t>(v));
}
void put32(std::vector<uint8_t>& b, uint32_t v) {
  put16(b, static_cast<uint16_t>(v >> 16));
  put16(b, static_cast<uint16_t>(v));
}
void put64(std::vector<uint8_t>& b, uint64_t v) {
  put32(b, static_cast<uint32_t>(v >> 32));
  put32(b, static_cast<uint32_t>(v));
}
uint16_t get16(const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }
uint32_t get32(const uint8_t* p) { return uint32_t{get16(p)} << 16 | get16(p + 2); }
uint64_t get64(const uint8_t* p) { return uint64_t{get32(p)} << 32 | get32(p + 4); }

constexpr size_t kEth = 14, kLlc = 3;

}  // namespace

std::string BridgeId::to_string() const {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%04x.%012llx", priority(),
                static_cast<unsigned long long>(value & 0xffffffffffffULL));
  return buf;
}

std::vector<uint8_t> encode_frame(const Bpdu& bpdu, const std::array<uint8_t, 6>& src_mac) {
  std::vector<uint8_t> b;
  b.reserve(60);
  for (uint8_t x : kBpduDst) b.push_back(x);
  for (uint8_t x : src_mac) b.push_back(x);
  const size_t body = bpdu.type == BpduType::kTcn ? 4 : bpdu.type == BpduType::kConfig ? 35 : 36;
  put16(b, static_cast<uint16_t>(kLlc + body));  // 802.3 length
  for (uint8_t x : {0x42, 0x42, 0x03}) b.push_back(x);
  put16(b, 0);  // protocol identifier
  b.push_back(bpdu.type == BpduType::kRst ? 2 : 0);
  b.push_back(static_cast<uint8_t>(bpdu.type));
  if (bpdu.type != BpduType::kTcn) {
    // 802.1D config BPDUs carry only the TC and TC-ack flags.
    b.push_back(bpdu.type == BpduType::kConfig ? (bpdu.flags & (kFlagTc | kFlagTcAck)) : bpdu.flags);
    put64(b, bpdu.vector.root.value);
    put32(b, bpdu.vector.root_path_cost);
    put64(b, bpdu.vector.designated_bridge.value);
    put16(b, bpdu.vector.designated_port);
    for (uint16_t t : {bpdu.message_age, bpdu.max_age, bpdu.hello_time, bpdu.forward_delay})
      put16(b, static_cast<uint16_t>(t * 256));
    if (bpdu.type == BpduType::kRst) b.push_back(0);  // version 1 length
  }
  while (b.size() < 60) b.push_back(0);
  return b;
}

std::optional<Bpdu> decode_frame(std::span<const uint8_t> f) {
  if (f.size() < kEth + kLlc + 4) return std::nullopt;
  for (size_t i = 0; i < 6; ++i)
    if (f[i] != kBpduDst[i]) return std::nullopt;
  const uint16_t len = get16(&f[12]);
  if (len > 1500 || f[14] != 0x42 || f[15] != 0x42 || f[16] != 0x03) return std::nullopt;
  const uint8_t* p = &f[kEth + kLlc];
  const size_t avail = std::min<size_t>(f.size() - kEth - kLlc, len - kLlc);
  if (len < kLlc + 4 || get16(p) != 0) return std::nullopt;
  Bpdu b;
  b.version = p[2];
  const uint8_t type = p[3];
  if (type == 0x80) {
    b.type = BpduType::kTcn;
    return b;
  }
  // 802.1D-2004 9.3.4: a version >= 2 BPDU of type 2 is an RST BPDU (later versions too).
  if (type == 0x02 && b.version >= 2) {
    if (avail < 36) return std::nullopt;
    b.type = BpduType::kRst;
  } else if (type == 0x00) {
    if (avail < 35) return std::nullopt;
    b.type = BpduType::kConfig;
  } else {
    return std::nullopt;
  }
  b.flags = p[4];
  b.vector.root.value = get64(p + 5);
  b.vector.root_path_cost = get32(p + 13);
  b.vector.designated_bridge.value = get64(p + 17);
  b.vector.designated_port = get16(p + 25);
  b.message_age = static_cast<uint16_t>(get16(p + 27) / 256);
  b.max_age = static_cast<uint16_t>(get16(p + 29) / 256);
  b.hello_time = static_cast<uint16_t>(get16(p + 31) / 256);
  b.forward_delay = static_cast<uint16_t>(get16(p + 33) / 256);
  return b;
}

}  // namespace lvs::sw::rstp
