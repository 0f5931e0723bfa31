#include "ctl/trace_flow.hpp"

#include <cctype>
#include <map>
#include <optional>

#include "ctl/config.hpp"

namespace lvs::ctl {
namespace {

constexpr const char* kFields = "in_port, dl_src, dl_dst, dl_vlan, dl_pcp, dl_type";
constexpr size_t kMinFrame = 60;
constexpr size_t kMaxFrame = 9216;

Error bad(const std::string& message) { return make_error(kErrInvalid, "trace: " + message); }

bool is_hex(const std::string& w) {
  if (w.empty()) return false;
  for (char c : w)
    if (!std::isxdigit(static_cast<unsigned char>(c))) return false;
  return true;
}

std::optional<uint64_t> parse_mac(const std::string& text) {
  auto canonical = canonical_mac(text);
  if (!canonical) return std::nullopt;
  uint64_t v = 0;
  for (size_t i = 0; i < canonical->size(); i += 3)
    v = v << 8 | std::stoul(canonical->substr(i, 2), nullptr, 16);
  return v;
}

// 0..0xffff, in hex (0x...) or decimal (below 0x0600 it is an 802.3 length, written as given).
std::optional<uint16_t> parse_ethertype(const std::string& text) {
  if (text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
    const std::string digits = text.substr(2);
    if (digits.size() > 4 || !is_hex(digits)) return std::nullopt;
    const auto v = std::stoul(digits, nullptr, 16);
    return static_cast<uint16_t>(v);
  }
  const auto v = parse_int(text, 0, 0xffff);
  return v ? std::optional<uint16_t>(static_cast<uint16_t>(*v)) : std::nullopt;
}

void put_mac(std::vector<uint8_t>& out, uint64_t mac) {
  for (int i = 5; i >= 0; --i) out.push_back(static_cast<uint8_t>(mac >> (8 * i)));
}
void put16(std::vector<uint8_t>& out, uint16_t v) {
  out.push_back(static_cast<uint8_t>(v >> 8));
  out.push_back(static_cast<uint8_t>(v));
}

// Version 4, IHL 5, total length 20, TTL 64, protocol 253 (for experiments), checksum.
void put_ipv4_header(std::vector<uint8_t>& out) {
  uint8_t h[20] = {0x45, 0, 0, 20, 0, 0, 0, 0, 64, 253, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
  uint32_t sum = 0;
  for (int i = 0; i < 20; i += 2) sum += uint32_t{h[i]} << 8 | h[i + 1];
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  h[10] = static_cast<uint8_t>(~sum >> 8);
  h[11] = static_cast<uint8_t>(~sum);
  out.insert(out.end(), h, h + 20);
}

}  // namespace

Result<TraceFlow> parse_trace_flow(std::span<const std::string> words) {
  std::map<std::string, std::string> fields;
  std::optional<std::string> hex;
  for (const auto& w : words) {
    const auto eq = w.find('=');
    if (eq == std::string::npos) {
      if (!is_hex(w) || w.size() % 2)
        return bad("\"" + w + "\" is neither FIELD=VALUE (" + kFields +
                   ") nor a frame in hex (an even number of hex digits)");
      if (hex) return bad("more than one hex frame");
      hex = w;
      continue;
    }
    const std::string key = w.substr(0, eq);
    if (key != "in_port" && key != "dl_src" && key != "dl_dst" && key != "dl_vlan" &&
        key != "dl_pcp" && key != "dl_type")
      return bad("unknown field \"" + key + "\" (fields: " + kFields + ")");
    if (!fields.emplace(key, w.substr(eq + 1)).second) return bad(key + " given twice");
  }
  TraceFlow flow;
  const auto in = fields.find("in_port");
  if (in == fields.end() || in->second.empty()) return bad("in_port=PORT is required");
  flow.in_port = in->second;

  if (hex) {
    for (const auto& [k, v] : fields)
      if (k != "in_port") return bad(k + ": not allowed with a hex frame (the frame says it)");
    if (hex->size() / 2 > kMaxFrame)
      return bad("hex frame of " + std::to_string(hex->size() / 2) + " bytes is longer than " +
                 std::to_string(kMaxFrame));
    for (size_t i = 0; i < hex->size(); i += 2)
      flow.frame.push_back(static_cast<uint8_t>(std::stoul(hex->substr(i, 2), nullptr, 16)));
    return flow;
  }

  auto need_mac = [&](const char* key) -> Result<uint64_t> {
    const auto it = fields.find(key);
    if (it == fields.end()) return bad(std::string(key) + "=MAC is required (or give a hex frame)");
    const auto m = parse_mac(it->second);
    if (!m) return bad(std::string(key) + ": \"" + it->second + "\" is not a MAC address");
    return *m;
  };
  auto src = need_mac("dl_src");
  if (!src) return src.error();
  auto dst = need_mac("dl_dst");
  if (!dst) return dst.error();
  std::optional<uint16_t> vlan;
  uint16_t pcp = 0;
  if (auto it = fields.find("dl_vlan"); it != fields.end()) {
    const auto v = parse_int(it->second, 0, 4095);
    if (!v) return bad("dl_vlan: \"" + it->second + "\" is not a VLAN id (0..4095)");
    vlan = static_cast<uint16_t>(*v);
  }
  if (auto it = fields.find("dl_pcp"); it != fields.end()) {
    const auto v = parse_int(it->second, 0, 7);
    if (!v) return bad("dl_pcp: \"" + it->second + "\" is not a priority (0..7)");
    if (!vlan) return bad("dl_pcp needs dl_vlan (dl_vlan=0: a priority tag)");
    pcp = static_cast<uint16_t>(*v);
  }
  uint16_t type = 0x0800;
  if (auto it = fields.find("dl_type"); it != fields.end()) {
    const auto t = parse_ethertype(it->second);
    if (!t) return bad("dl_type: \"" + it->second + "\" is not an EtherType (0..0xffff)");
    if (*t == 0x8100) return bad("dl_type: 0x8100 is the 802.1Q tag itself; give dl_vlan");
    type = *t;
  }
  put_mac(flow.frame, *dst);
  put_mac(flow.frame, *src);
  if (vlan) {
    put16(flow.frame, 0x8100);
    put16(flow.frame, static_cast<uint16_t>(pcp << 13 | *vlan));
  }
  put16(flow.frame, type);
  if (type == 0x0800) put_ipv4_header(flow.frame);
  if (flow.frame.size() < kMinFrame) flow.frame.resize(kMinFrame, 0);
  return flow;
}

}  // namespace lvs::ctl
