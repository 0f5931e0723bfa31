#include "ctl/forward_rules.hpp"

namespace lvs::ctl {

std::vector<std::string> forward_gateways(const Config& c) {
  std::vector<std::string> out;
  for (const auto& b : c.bridges) {
    if (!b.nat()) continue;
    for (const auto& p : b.ports)
      if (p.type == "internal" && p.options.count(kIpOption)) out.push_back(p.name);
  }
  return out;
}

namespace {

// --internal networks' gateways and their subnets: Docker's DOCKER-ISOLATION rules for them.
std::vector<std::pair<std::string, std::string>> internal_networks(const Config& c) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& b : c.bridges)
    for (const auto& p : b.ports) {
      auto internal = p.external_ids.find(kDockerInternal);
      auto ip = p.options.find(kIpOption);
      if (p.type != "internal" || ip == p.options.end() || internal == p.external_ids.end() ||
          internal->second != "true")
        continue;
      if (auto list = parse_ip_list(ip->second); list && !list->empty())
        out.emplace_back(p.name, format_ipv4(list->front().network()) + "/" +
                                     std::to_string(list->front().prefix));
    }
  return out;
}

}  // namespace

std::string forward_ruleset(const Config& c) {
  const auto gws = forward_gateways(c);
  const auto internal = internal_networks(c);
  if (gws.empty() && internal.empty()) return "";
  const std::string ch = kForwardChain;
  std::string s = "*filter\n:" + ch + " - [0:0]\n-F " + ch + "\n";
  for (const auto& [g, subnet] : internal) {
    s += "-A " + ch + " -i " + g + " ! -d " + subnet + " -j DROP\n";
    s += "-A " + ch + " -o " + g + " ! -s " + subnet + " -j DROP\n";
  }
  for (const auto& g1 : gws)
    for (const auto& g2 : gws)
      if (g1 != g2) s += "-A " + ch + " -i " + g1 + " -o " + g2 + " -j DROP\n";
  for (const auto& g : gws) {
    s += "-A " + ch + " -o " + g + " -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT\n";
    s += "-A " + ch + " -o " + g + " -m conntrack --ctstate DNAT -j ACCEPT\n";
    s += "-A " + ch + " -i " + g + " -j ACCEPT\n";
  }
  return s + "COMMIT\n";
}

std::vector<std::string> internal_ports(const Config& c) {
  std::vector<std::string> out;
  for (const auto& b : c.bridges)
    for (const auto& p : b.ports)
      if (p.type == "internal") out.push_back(p.name);
  return out;
}

std::vector<std::string> localnet_gateways(const Config& c) {
  std::vector<std::string> out;
  for (const auto& b : c.bridges) {
    if (!b.nat()) continue;
    bool published = false;
    for (const auto& p : b.ports) published |= p.external_ids.count(kPublish) > 0;
    if (!published) continue;
    for (const auto& p : b.ports)
      if (p.type == "internal" && p.options.count(kIpOption)) out.push_back(p.name);
  }
  return out;
}

}  // namespace lvs::ctl
