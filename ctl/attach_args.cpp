#include "ctl/attach_args.hpp"

#include <cctype>

#include "ctl/derived_mac.hpp"

namespace lvs::ctl {
namespace {

Error syntax(std::string m) { return make_error(kErrSyntax, std::move(m)); }
Error invalid(std::string m) { return make_error(kErrInvalid, std::move(m)); }

// "IP/PREFIX[@GATEWAY]"
Status parse_ip_word(const std::string& word, AttachArgs& a) {
  if (word == "dhcp" || word.rfind("dhcp:", 0) == 0)
    return invalid("IP \"" + word + "\": dhcp is not supported; give ADDRESS/PREFIX[@GATEWAY]");
  const size_t at = word.find('@');
  const std::string cidr = word.substr(0, at);
  auto p = parse_ipv4_prefix(cidr);
  if (!p || p->prefix == 0 || p->prefix > 31)
    return invalid("IP \"" + cidr + "\" is not ADDRESS/PREFIX with a prefix in 1..31 (e.g. 10.77.0.2/24)");
  a.ip = p;
  if (at != std::string::npos) {
    const std::string gw = word.substr(at + 1);
    auto g = parse_ipv4(gw);
    if (!g) return invalid("gateway \"" + gw + "\" is not an IPv4 address");
    if (*g == p->addr) return invalid("gateway \"" + gw + "\" is the container's own address");
    a.gateway = g;
  }
  return std::nullopt;
}

// "[MAC][@VLAN]": "02:..", "U:web", "@100", "U:web@100".
Status parse_mac_word(const std::string& word, AttachArgs& a) {
  const size_t at = word.rfind('@');
  const std::string mac = word.substr(0, at);
  if (at != std::string::npos) {
    const std::string v = word.substr(at + 1);
    auto n = parse_int(v, 1, 4094);
    if (!n) return invalid("VLAN \"" + v + "\" is not in 1..4094");
    a.vlan = static_cast<int>(*n);
  }
  if (mac.empty()) return std::nullopt;
  if (auto d = derived_mac(mac)) {
    if (mac.size() == 2) return invalid("MAC \"" + mac + "\": U: needs a string after it");
    a.mac = *d;
  } else if (auto c = canonical_mac(mac)) {
    if (std::stoul(c->substr(0, 2), nullptr, 16) & 1) return invalid("MAC \"" + mac + "\" is a multicast address");
    if (*c == "00:00:00:00:00:00") return invalid("MAC \"" + mac + "\" is all zeroes");
    a.mac = *c;
  } else {
    return invalid("MAC \"" + mac + "\" is not aa:bb:cc:dd:ee:ff or U:STRING");
  }
  a.mac_spec = mac;
  return std::nullopt;
}

}  // namespace

Status validate_container_name(const std::string& name) {
  if (name.empty()) return invalid("container name is empty");
  if (name.size() > 128) return invalid("container \"" + name.substr(0, 32) + "...\" is longer than 128 characters");
  if (!std::isalnum(static_cast<unsigned char>(name[0])))
    return invalid("container \"" + name + "\" must start with a letter or digit");
  for (char c : name)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '.' && c != '-')
      return invalid("container \"" + name + "\" has an invalid character '" + std::string(1, c) + "'");
  return std::nullopt;
}

Result<AttachArgs> parse_attach_args(const std::vector<std::string>& words) {
  AttachArgs a;
  std::vector<std::string> pos;
  bool detach = false, gc = false;
  for (size_t i = 0; i < words.size(); ++i) {
    const std::string& w = words[i];
    auto value = [&](const std::string& opt) -> Result<std::string> {
      if (i + 1 >= words.size()) return syntax(opt + ": missing value");
      return words[++i];
    };
    if (w == "-h" || w == "--help") {
      a.mode = AttachArgs::Mode::kHelp;
      return a;
    }
    if (w == "-V" || w == "--version") {
      a.mode = AttachArgs::Mode::kVersion;
      return a;
    }
    if (w == "--trunk" || w.rfind("--trunk=", 0) == 0) {
      std::vector<int> vids;
      if (w.size() > 8) {
        std::string list = w.substr(8);
        size_t start = 0;
        for (;;) {
          const size_t comma = list.find(',', start);
          const std::string v = list.substr(start, comma - start);
          auto n = parse_int(v, 1, 4094);
          if (!n) return invalid("--trunk: VLAN \"" + v + "\" is not in 1..4094");
          vids.push_back(static_cast<int>(*n));
          if (comma == std::string::npos) break;
          start = comma + 1;
        }
      }
      a.trunk = std::move(vids);
    } else if (w == "--detach") {
      detach = true;
    } else if (w == "--gc") {
      gc = true;
    } else if (w == "--socket" || w == "-i" || w == "--mtu" || w == "--port-type" || w == "--publish" ||
               w == "--rate") {
      auto v = value(w);
      if (!v) return v.error();
      if (w == "--socket") {
        a.socket = *v;
      } else if (w == "-i") {
        if (auto e = validate_name("-i: interface", *v)) return *e;
        a.ifname = *v;
      } else if (w == "--mtu") {
        auto n = parse_int(*v, 68, 65535);
        if (!n) return invalid("--mtu: \"" + *v + "\" is not in 68..65535");
        a.mtu = static_cast<int>(*n);
      } else if (w == "--rate") {
        auto r = parse_rate_spec("--rate", *v);
        if (!r) return r.error();
        a.rate = *r;
      } else if (w == "--port-type") {
        if (*v != "system" && *v != "afxdp") return invalid("--port-type: \"" + *v + "\" is not system or afxdp");
        a.port_type = *v;
      } else {
        auto p = parse_published_port(*v);
        if (!p) return invalid("--" + p.error().message);
        for (const auto& q : a.publish)
          if (same_host_port(q, *p))
            return invalid("--publish \"" + *v + "\": host port " + std::to_string(q.host_port) + "/" + q.proto +
                           " is given twice");
        a.publish.push_back(*p);
      }
    } else if (w.size() > 1 && w[0] == '-' && w != "-") {
      return syntax("unknown option \"" + w + "\" (try --help)");
    } else {
      pos.push_back(w);
    }
  }
  if (detach && gc) return syntax("--detach and --gc do not go together");
  if (gc) {
    if (!pos.empty()) return syntax("--gc takes no arguments, got \"" + pos[0] + "\"");
    a.mode = AttachArgs::Mode::kGc;
    return a;
  }
  const size_t min = 2, max = detach ? 2 : 4;
  if (pos.size() < min || pos.size() > max)
    return syntax(detach ? "--detach expects BRIDGE CONTAINER"
                         : "expects BRIDGE CONTAINER [IP/PREFIX[@GATEWAY]|auto] [MAC][@VLAN] (try --help)");
  if (auto e = validate_name("bridge", pos[0])) return *e;
  a.bridge = pos[0];
  if (auto e = validate_container_name(pos[1])) return *e;
  a.container = pos[1];
  if (detach) {
    if (a.mtu || !a.publish.empty() || a.port_type != "system" || a.trunk || a.rate)
      return syntax("--detach takes only BRIDGE CONTAINER [-i IFNAME]");
    a.mode = AttachArgs::Mode::kDetach;
    return a;
  }
  // No address or "auto": the next free one of the bridge's pool (ipam.hpp), at attach time.
  if (pos.size() >= 3 && pos[2] != "auto")
    if (auto e = parse_ip_word(pos[2], a)) return *e;
  if (pos.size() == 4)
    if (auto e = parse_mac_word(pos[3], a)) return *e;
  if (a.trunk && a.vlan) return syntax("@VLAN (an access port) and --trunk do not go together");
  return a;
}

std::string vsattach_help() {
  return "Usage:\n"
         "  vsattach [--socket PATH] BRIDGE CONTAINER [IP/PREFIX[@GATEWAY]|auto] [MAC][@VLAN] [-i IFNAME]\n"
         "           [--mtu N] [--port-type system|afxdp] [--publish [HOSTIP:]HOSTPORT:CONTAINERPORT[/tcp|udp]]...\n"
         "           [--trunk[=VLAN,VLAN...]] [--rate KBPS[,BURST_KBIT]]\n"
         "  vsattach [--socket PATH] --detach BRIDGE CONTAINER [-i IFNAME]\n"
         "  vsattach [--socket PATH] --gc\n"
         "\n"
         "Attaches a container to a Lite vSwitch bridge through a veth pair, as pipework does:\n"
         "CONTAINER is a network namespace name (/run/netns/NAME), a pid, or a docker/containerd\n"
         "(nerdctl) container name or id. The container end is named IFNAME (default eth0 when the\n"
         "container has no interface besides lo, else eth1) and gets the address, MTU, MAC and a\n"
         "default route via GATEWAY (default: the bridge's own address when IP is in its subnet).\n"
         "Without IP (or with auto) the switch leases the next free address of the bridge's pool\n"
         "(its internal port's options:ip; vsctl ipam/show) with docker0's MAC (02:42 + the address)\n"
         "unless MAC is given; --detach returns it.\n"
         "MAC U:STRING derives a stable address from STRING (pipework's scheme). The port is an access\n"
         "port: of VLAN 0 by default, of VLAN with @VLAN; the container's tagged frames are dropped.\n"
         "--trunk makes it a trunk of every VLAN (or of the VLANs listed) for a container that tags\n"
         "its own frames. --publish installs DNAT for HOSTPORT (of HOSTIP only, if given) to the container.\n"
         "--rate limits the container to KBPS kbit/s each way (what it sends: the interface's\n"
         "ingress_policing_rate; what it receives: the port's other_config:egress-rate-kbps), with\n"
         "bursts of BURST_KBIT kbit (default 8000); frames over it are dropped and counted.\n"
         "Running it again is harmless; a failure half-way undoes what it did.\n"
         "--detach removes the container's port(s) on BRIDGE; --gc removes ports whose container is gone.\n";
}

}  // namespace lvs::ctl
