// vxlan and gre: a port whose frames travel inside VXLAN or GRE to options:remote_ip, over the
// host kernel's sockets or out of another switch port (options:underlay=port, underlay_port).
// Options with Open vSwitch's names (tunnels/tunnel_config.hpp). Tunnels share split-horizon
// group 1: what came from one never leaves by another.
#include <arpa/inet.h>

#include "ctl/kinds/builtin_kinds.hpp"
#include "tunnels/tunnel_config.hpp"

namespace lvs::ctl {
namespace {

constexpr uint8_t kTunnelGroup = 1;
constexpr int kInnerEthernet = 14;

Error invalid(std::string message) { return make_error(kErrInvalid, std::move(message)); }
bool is_ipv4(const std::string& s) { return parse_ipv4(s).has_value(); }
bool is_ipv6(const std::string& s) {
  in6_addr a{};
  return s.find(':') != std::string::npos && inet_pton(AF_INET6, s.c_str(), &a) == 1;
}

// `max_key`: the largest key the header carries (VXLAN's 24-bit VNI, GRE's 32-bit key).
// `ipv6_ok`: the kind carries an IPv6 underlay too (VXLAN on the kernel underlay).
Status check_tunnel(const PortConfig& p, const std::string& at, long long max_key, bool ipv6_ok) {
  auto it = p.options.find("remote_ip");
  if (it == p.options.end()) return invalid(at + "type " + p.type + " needs options:remote_ip");
  const bool remote6 = is_ipv6(it->second);
  auto u = p.options.find("underlay");
  const bool on_port = u != p.options.end() && u->second == "port";
  if (remote6 && !ipv6_ok)
    return invalid(at + "options:remote_ip \"" + it->second + "\" is IPv6: type " + p.type +
                   " carries an IPv4 underlay only (vxlan carries both)");
  if (remote6 && on_port)
    return invalid(at + "options:remote_ip \"" + it->second +
                   "\" is IPv6: options:underlay=port carries an IPv4 underlay only");
  if (!remote6 && !is_ipv4(it->second))
    return invalid(at + "options:remote_ip \"" + it->second + "\" is not an IPv4" +
                   (ipv6_ok ? " or IPv6" : "") + " address");
  if (auto l = p.options.find("local_ip"); l != p.options.end()) {
    if (remote6 ? !is_ipv6(l->second) : !is_ipv4(l->second))
      return invalid(at + "options:local_ip \"" + l->second + "\" is not an " +
                     (remote6 ? "IPv6" : "IPv4") + " address (the family of options:remote_ip)");
  }
  if (auto k = p.options.find("key"); k != p.options.end() && k->second != "flow")
    if (!parse_int(k->second, 0, max_key))
      return invalid(at + "options:key \"" + k->second + "\" is not in 0.." +
                     std::to_string(max_key));
  if (u != p.options.end() && !on_port && u->second != "kernel")
    return invalid(at + "options:underlay \"" + u->second + "\" is not kernel or port");
  if (on_port != (p.options.count("underlay_port") > 0))
    return invalid(at + (on_port ? "options:underlay=port needs options:underlay_port (the port "
                                   "the tunnel leaves by)"
                                 : "options:underlay_port needs options:underlay=port"));
  if (on_port && !p.options.count("local_ip"))
    return invalid(at +
                   "options:underlay=port needs options:local_ip (the switch answers ARP "
                   "for it)");
  return std::nullopt;
}

Status check_vxlan(const PortConfig& p, const std::string& at) {
  return check_tunnel(p, at, (1LL << 24) - 1, /*ipv6_ok=*/true);
}
Status check_gre(const PortConfig& p, const std::string& at) {
  return check_tunnel(p, at, 0xffffffffLL, /*ipv6_ok=*/false);
}

std::string tunnel_underlay_port(const PortConfig& p) {
  auto u = p.options.find("underlay");
  auto n = p.options.find("underlay_port");
  return u != p.options.end() && u->second == "port" && n != p.options.end() ? n->second
                                                                             : std::string{};
}

// The outer headers (tunnels::tunnel_overhead: IPv4 or IPv6, UDP + VXLAN or GRE with its key
// and checksum) and the inner Ethernet header: VXLAN 50 bytes over IPv4, 70 over IPv6.
int overhead(tunnels::TunnelKind kind, const PortConfig& p) {
  tunnels::TunnelConfig config;
  if (tunnels::parse_tunnel_options(kind, p.options, config)) config = {.kind = kind};
  return tunnels::tunnel_overhead(config) + kInnerEthernet;
}
int vxlan_overhead(const PortConfig& p) { return overhead(tunnels::TunnelKind::kVxlan, p); }
int gre_overhead(const PortConfig& p) { return overhead(tunnels::TunnelKind::kGre, p); }

constexpr std::string_view kTunnelOptions =
    "remote_ip local_ip key in_key out_key dst_port ttl tos df_default csum underlay "
    "underlay_port";

constexpr PortKind tunnel_kind(std::string_view name,
                               Status (*check)(const PortConfig&, const std::string&),
                               int (*overhead)(const PortConfig&)) {
  return PortKind{.name = name,
                  .options = kTunnelOptions,
                  .check_options = check,
                  .split_horizon_group = kTunnelGroup,
                  .underlay_port = tunnel_underlay_port,
                  .mtu_overhead = overhead};
}

}  // namespace

const PortKind kVxlanPort = tunnel_kind("vxlan", check_vxlan, vxlan_overhead);
const PortKind kGrePort = tunnel_kind("gre", check_gre, gre_overhead);

}  // namespace lvs::ctl
