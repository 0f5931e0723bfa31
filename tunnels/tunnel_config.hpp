#pragma once
// A tunnel port's settings, read from Interface options with Open vSwitch's names:
//   remote_ip (required; IPv4, or IPv6 for VXLAN on the kernel underlay), local_ip (the same
//   family), key / in_key / out_key, dst_port (VXLAN), ttl (N or inherit),
//   tos (N or inherit), df_default (true|false), csum (true|false); and this switch's own
//   underlay (kernel, the default, or port) with underlay_port (the switch port it leaves by).
// Defaults as in OVS: ttl 64, tos 0, df_default true, csum false, VXLAN VNI 0, dst_port 4789,
// GRE without a key header (received keyless packets count as key 0).
#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>

namespace lvs::tunnels {

enum class TunnelKind : uint8_t { kVxlan, kGre };

struct TunnelConfig {
  TunnelKind kind = TunnelKind::kVxlan;
  uint32_t remote_ip = 0;  // network byte order; 0 when the underlay is IPv6
  uint32_t local_ip = 0;   // network byte order; 0: any local address, chosen by the routes
  // IPv6 underlay (VXLAN on the kernel underlay only): remote_ip6 / local_ip6 instead of the
  // two above; local_ip6 all zero: any local address.
  bool ipv6 = false;
  std::array<uint8_t, 16> remote_ip6{};
  std::array<uint8_t, 16> local_ip6{};
  uint32_t in_key = 0;     // VNI or GRE key expected on receive
  std::optional<uint32_t> out_key;  // sent key; VXLAN always sends one (default 0)
  uint16_t dst_port = 4789;
  uint8_t ttl = 64;
  bool ttl_inherit = false;
  uint8_t tos = 0;
  bool tos_inherit = false;
  bool df = true;
  bool csum = false;
  // underlay=port: the outer frames leave by this switch port (a port of another bridge, e.g. the
  // host's uplink as a system port); empty: through the host kernel's sockets.
  std::string underlay_port;
};

// Parses `options`; returns an error naming the offending option, or nullopt.
std::optional<std::string> parse_tunnel_options(TunnelKind kind,
                                                const std::map<std::string, std::string>& options,
                                                TunnelConfig& out);

std::string ipv4_to_string(uint32_t be_addr);
std::string ipv6_to_string(const std::array<uint8_t, 16>& addr);
// options:remote_ip / local_ip as text, whichever the family ("*" for any local address).
std::string remote_ip_string(const TunnelConfig& c);
std::string local_ip_string(const TunnelConfig& c);

// What selects the port that receives a tunnel packet, as in OVS: (remote_ip, local_ip, in_key)
// of one family (and kind, dst_port). A port with local_ip takes only packets to that address;
// one without is the wildcard for the others, so an exact port beside it wins. Two ports clash
// only when all of it is the same.
bool same_receive_key(const TunnelConfig& a, const TunnelConfig& b);
// "remote_ip A, local_ip B, key K" ("*" for a port without local_ip), for errors.
std::string receive_key_string(const TunnelConfig& c);

// Bytes the underlay adds around an inner frame (outer IPv4 or IPv6 included, Ethernet not):
// with the inner Ethernet header, VXLAN costs 50 bytes over IPv4 and 70 over IPv6.
inline constexpr uint16_t kVxlanOverhead = 20 + 8 + 8;
inline constexpr uint16_t kVxlan6Overhead = 40 + 8 + 8;
uint16_t tunnel_overhead(const TunnelConfig& c);

}  // namespace lvs::tunnels
