#include "tunnels/tunnel_config.hpp"

#include <arpa/inet.h>

#include <charconv>

#include "tunnels/gre_header.hpp"

namespace lvs::tunnels {
namespace {

std::optional<uint64_t> parse_uint(const std::string& s, uint64_t max) {
  uint64_t v = 0;
  const char* end = s.data() + s.size();
  int base = 10;
  const char* begin = s.data();
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    base = 16;
    begin += 2;
  }
  auto r = std::from_chars(begin, end, v, base);
  if (s.empty() || r.ec != std::errc() || r.ptr != end || v > max) return std::nullopt;
  return v;
}

std::optional<bool> parse_bool(const std::string& s) {
  if (s == "true") return true;
  if (s == "false") return false;
  return std::nullopt;
}

}  // namespace

std::string ipv4_to_string(uint32_t be_addr) {
  char buf[INET_ADDRSTRLEN] = {};
  in_addr a{be_addr};
  inet_ntop(AF_INET, &a, buf, sizeof(buf));
  return buf;
}

std::optional<std::string> parse_tunnel_options(TunnelKind kind,
                                                const std::map<std::string, std::string>& options,
                                                TunnelConfig& out) {
  out = TunnelConfig{};
  out.kind = kind;
  const uint64_t key_max = kind == TunnelKind::kVxlan ? 0xffffff : 0xffffffff;
  std::optional<uint32_t> key, in_key, out_key;
  bool have_remote = false;
  bool have_remote6 = false, have_local6 = false, have_local4 = false;
  bool port_underlay = false;
  for (const auto& [name, value] : options) {
    // Explicit captures: clang 14 cannot capture structured bindings implicitly.
    auto bad = [&name = name, &value = value](const std::string& why) {
      return "options:" + name + " \"" + value + "\" " + why;
    };
    if (name == "remote_ip" || name == "local_ip") {
      in_addr a{};
      std::array<uint8_t, 16> a6{};
      if (inet_pton(AF_INET6, value.c_str(), a6.data()) == 1) {
        if (kind != TunnelKind::kVxlan)
          return bad("is IPv6: an IPv6 underlay is supported for vxlan only");
        if (name == "remote_ip" && (a6 == std::array<uint8_t, 16>{} || a6[0] == 0xff))
          return bad("is not a unicast address");
        (name == "remote_ip" ? out.remote_ip6 : out.local_ip6) = a6;
        (name == "remote_ip" ? have_remote6 : have_local6) = true;
        if (name == "remote_ip") have_remote = true;
        continue;
      }
      if (inet_pton(AF_INET, value.c_str(), &a) != 1)
        return bad(kind == TunnelKind::kVxlan ? "is not an IPv4 or IPv6 address"
                                              : "is not an IPv4 address");
      if (name == "local_ip") have_local4 = true;
      if (name == "remote_ip") {
        if (a.s_addr == 0 || a.s_addr == INADDR_BROADCAST) return bad("is not a unicast address");
        out.remote_ip = a.s_addr;
        have_remote = true;
      } else {
        out.local_ip = a.s_addr;
      }
    } else if (name == "key" || name == "in_key" || name == "out_key") {
      if (value == "flow") return bad("is not supported (flow-based keys need flows)");
      auto v = parse_uint(value, key_max);
      if (!v) return bad("is not in 0.." + std::to_string(key_max));
      (name == "key" ? key : name == "in_key" ? in_key : out_key) = static_cast<uint32_t>(*v);
    } else if (name == "dst_port") {
      if (kind != TunnelKind::kVxlan) return bad("applies to vxlan only");
      auto v = parse_uint(value, 65535);
      if (!v || *v == 0) return bad("is not a UDP port (1..65535)");
      out.dst_port = static_cast<uint16_t>(*v);
    } else if (name == "ttl") {
      if (value == "inherit") {
        out.ttl_inherit = true;
      } else {
        auto v = parse_uint(value, 255);
        if (!v || *v == 0) return bad("is not a TTL (1..255 or inherit)");
        out.ttl = static_cast<uint8_t>(*v);
      }
    } else if (name == "tos") {
      if (value == "inherit") {
        out.tos_inherit = true;
      } else {
        auto v = parse_uint(value, 255);
        if (!v) return bad("is not a TOS (0..255 or inherit)");
        out.tos = static_cast<uint8_t>(*v);
      }
    } else if (name == "df_default" || name == "csum") {
      auto v = parse_bool(value);
      if (!v) return bad("is not true or false");
      (name == "df_default" ? out.df : out.csum) = *v;
    } else if (name == "underlay") {
      if (value != "kernel" && value != "port") return bad("is not kernel or port");
      port_underlay = value == "port";
    } else if (name == "underlay_port") {
      if (value.empty()) return bad("is not a port name");
      out.underlay_port = value;
    } else {
      return "unknown option \"" + name +
             "\" (known: remote_ip, local_ip, key, in_key, out_key, dst_port, ttl, tos, "
             "df_default, csum, underlay, underlay_port)";
    }
  }
  if (!have_remote) return std::string("options:remote_ip is required");
  out.ipv6 = have_remote6;
  if (have_remote6 ? have_local4 : have_local6)
    return std::string("options:local_ip and options:remote_ip are not of the same family (") +
           (have_remote6 ? "IPv4 and IPv6" : "IPv6 and IPv4") + ")";
  if (out.ipv6 && port_underlay)
    return std::string("options:underlay=port carries an IPv4 underlay only (remote_ip is IPv6)");
  if (port_underlay && out.underlay_port.empty())
    return std::string("options:underlay=port needs options:underlay_port (the port it leaves by)");
  if (!port_underlay && !out.underlay_port.empty())
    return std::string("options:underlay_port needs options:underlay=port");
  if (port_underlay && out.local_ip == 0)
    return std::string(
        "options:underlay=port needs options:local_ip (the switch answers ARP for it)");
  out.in_key = in_key.value_or(key.value_or(0));
  out.out_key = out_key ? out_key : key;
  if (kind == TunnelKind::kVxlan && !out.out_key) out.out_key = 0;
  return std::nullopt;
}

std::string ipv6_to_string(const std::array<uint8_t, 16>& addr) {
  char buf[INET6_ADDRSTRLEN] = {};
  inet_ntop(AF_INET6, addr.data(), buf, sizeof(buf));
  return buf;
}

std::string remote_ip_string(const TunnelConfig& c) {
  return c.ipv6 ? ipv6_to_string(c.remote_ip6) : ipv4_to_string(c.remote_ip);
}

std::string local_ip_string(const TunnelConfig& c) {
  if (c.ipv6) return c.local_ip6 == std::array<uint8_t, 16>{} ? "*" : ipv6_to_string(c.local_ip6);
  return c.local_ip ? ipv4_to_string(c.local_ip) : "*";
}

bool same_receive_key(const TunnelConfig& a, const TunnelConfig& b) {
  if (a.kind != b.kind || a.ipv6 != b.ipv6 || a.in_key != b.in_key) return false;
  if (a.kind == TunnelKind::kVxlan && a.dst_port != b.dst_port) return false;
  return a.ipv6 ? a.remote_ip6 == b.remote_ip6 && a.local_ip6 == b.local_ip6
                : a.remote_ip == b.remote_ip && a.local_ip == b.local_ip;
}

std::string receive_key_string(const TunnelConfig& c) {
  return "remote_ip " + remote_ip_string(c) + ", local_ip " + local_ip_string(c) + ", key " +
         std::to_string(c.in_key);
}

uint16_t tunnel_overhead(const TunnelConfig& c) {
  if (c.kind == TunnelKind::kVxlan) return c.ipv6 ? kVxlan6Overhead : kVxlanOverhead;
  return static_cast<uint16_t>(20 + gre_header_len(c.csum, c.out_key.has_value()));
}

}  // namespace lvs::tunnels
