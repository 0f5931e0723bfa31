#include "ctl/nat_rules.hpp"

#include <vector>

#include "ctl/port_kind.hpp"

namespace lvs::ctl {
namespace {

struct Masquerade {
  std::string bridge, iface, subnet;
};
struct Dnat {
  std::string bridge, port, target, subnet;
  PublishedPort pub;
};

std::string cidr(const Ipv4Prefix& p) {
  return format_ipv4(p.network()) + "/" + std::to_string(p.prefix);
}

// Names are validated (alphanumerics, '-', '_', '.'), so they quote safely in nft strings.
void collect(const Config& config, std::vector<Masquerade>& masq, std::vector<Dnat>& dnat) {
  for (const auto& b : config.bridges) {
    for (const auto& p : b.ports) {
      if (const PortKind* kind = kind_of(p); b.nat() && kind && kind->accepts_option(kIpOption))
        if (auto it = p.options.find(kIpOption); it != p.options.end())
          if (auto list = parse_ip_list(it->second))
            for (const auto& a : *list) masq.push_back({b.name, p.name, cidr(a)});
      auto pub = p.external_ids.find(kPublish);
      auto ip = p.external_ids.find(kContainerIp);
      if (pub == p.external_ids.end() || ip == p.external_ids.end()) continue;
      auto target = parse_ipv4_prefix(ip->second);
      auto list = parse_publish_list(pub->second);
      if (!target || !list) continue;  // validate() refuses these; never emit half a rule
      for (const auto& pp : *list)
        dnat.push_back({b.name, p.name, format_ipv4(target->addr), cidr(*target), pp});
    }
  }
}

}  // namespace

bool nat_needs_forwarding(const Config& config) {
  std::vector<Masquerade> masq;
  std::vector<Dnat> dnat;
  collect(config, masq, dnat);
  return !masq.empty() || !dnat.empty();
}

std::string nat_ruleset(const Config& config) {
  std::vector<Masquerade> masq;
  std::vector<Dnat> dnat;
  collect(config, masq, dnat);
  const std::string t = std::string("table ip ") + kNatTable;
  // Declaring then deleting makes the first run (no table yet) and later runs look the same.
  std::string s = t + "\ndelete " + t + "\n";
  if (masq.empty() && dnat.empty()) return s;
  s += t + " {\n";
  s += "\tchain prerouting {\n\t\ttype nat hook prerouting priority dstnat; policy accept;\n";
  if (!dnat.empty()) s += "\t\tfib daddr type local jump published\n";
  s += "\t}\n";
  s += "\tchain output {\n\t\ttype nat hook output priority -100; policy accept;\n";
  // 127.0.0.1 too (what docker-proxy gives docker0 users): its gateway has route_localnet=1.
  if (!dnat.empty()) s += "\t\tfib daddr type local jump published\n";
  s += "\t}\n";
  s += "\tchain published {\n";
  for (const auto& d : dnat)
    s += "\t\t" + (d.pub.host_ip ? "ip daddr " + format_ipv4(d.pub.host_ip) + " " : std::string()) +
         d.pub.proto + " dport " + std::to_string(d.pub.host_port) + " dnat to " + d.target + ":" +
         std::to_string(d.pub.container_port) + " comment \"" + d.bridge + " " + d.port + "\"\n";
  s += "\t}\n";
  s += "\tchain postrouting {\n\t\ttype nat hook postrouting priority srcnat; policy accept;\n";
  for (const auto& m : masq)
    s += "\t\tip saddr " + m.subnet + " oifname != \"" + m.iface + "\" masquerade comment \"" + m.bridge +
         "\"\n";
  // A loopback source DNAT'd to a container would be answered to the container's own lo.
  if (!dnat.empty())
    for (const auto& m : masq)
      s += "\t\tip saddr 127.0.0.0/8 oifname \"" + m.iface + "\" masquerade comment \"" + m.bridge +
           " localhost\"\n";
  for (const auto& d : dnat)
    s += "\t\tip saddr " + d.subnet + " ip daddr " + d.target + " " + d.pub.proto + " dport " +
         std::to_string(d.pub.container_port) + " ct status dnat masquerade comment \"" + d.bridge + " " +
         d.port + " hairpin\"\n";
  s += "\t}\n}\n";
  return s;
}

}  // namespace lvs::ctl
