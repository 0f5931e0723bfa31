#include "ctl/cluster/cluster_reconciler.hpp"

#include <algorithm>
#include <cstdio>

namespace lvs::ctl::cluster {
namespace {

bool is_v4(const std::string& ip) { return parse_ipv4(ip).has_value(); }

std::string opt(const StringMap& m, const char* key) {
  auto it = m.find(key);
  return it == m.end() ? std::string{} : it->second;
}

// The binding of `vni` on some cluster bridge.
struct Place {
  const ClusterBridge* bridge;
  VniBinding binding;
};

}  // namespace

std::string tunnel_port_name(const std::string& member, uint32_t vni) {
  // FNV-1a, 32 bits: 2 characters of prefix + 8 hex digits (IFNAMSIZ leaves 15).
  uint32_t h = 2166136261u;
  auto mix = [&h](unsigned char c) {
    h ^= c;
    h *= 16777619u;
  };
  for (unsigned char c : member) mix(c);
  mix('/');
  for (int i = 0; i < 4; ++i) mix(static_cast<unsigned char>(vni >> (8 * i)));
  char buf[16];
  std::snprintf(buf, sizeof buf, "cl%08x", h);
  return buf;
}

Desired desired_state(const ClusterView& view, const std::string& self_id,
                      const ClusterOptions& o) {
  Desired d;
  std::map<uint32_t, Place> places;
  for (const auto& b : o.bridges) {
    d.neighbours[b.name];  // every cluster bridge has a table, empty or not
    for (const auto& binding : b.bindings) places.emplace(binding.vni, Place{&b, binding});
  }
  const bool v4 = is_v4(o.local_ip);
  for (const auto& [id, m] : view.members) {
    // Ourselves, a member without an address, or one on the other IP family: no tunnel.
    if (id == self_id || m.underlay_ip.empty() || is_v4(m.underlay_ip) != v4) continue;
    for (uint32_t vni : m.vnis) {
      auto p = places.find(vni);
      if (p == places.end()) continue;
      TunnelSpec t{
          p->second.bridge->name, tunnel_port_name(id, vni), id, m.underlay_ip, o.local_ip, vni,
          p->second.binding.vlan};
      d.tunnels.emplace(t.port, std::move(t));
    }
  }
  std::set<std::tuple<std::string, uint16_t, std::string>> fdb_keys;
  for (const auto& e : view.endpoints) {
    if (e.host == self_id) continue;
    auto p = places.find(e.vni);
    if (p == places.end()) continue;
    const std::string port = tunnel_port_name(e.host, e.vni);
    if (!d.tunnels.count(port)) continue;  // its host is gone or does not serve the VNI
    auto mac = canonical_mac(e.mac);
    if (!mac || (std::stoul(mac->substr(0, 2), nullptr, 16) & 1)) continue;
    const std::string& bridge = p->second.bridge->name;
    const uint16_t vlan = p->second.binding.fdb_vlan();
    // A MAC seen behind two hosts (a station moving): the first one named keeps it, so that the
    // table holds one entry per (bridge, VLAN, MAC).
    if (!fdb_keys.emplace(bridge, vlan, *mac).second) continue;
    d.fdb.insert(FdbSpec{bridge, vlan, *mac, port});
    for (const std::string* ip : {&e.ip, &e.ip6})
      if (!ip->empty()) d.neighbours[bridge].insert(NeighbourSpec{vlan, *ip, *mac});
  }
  return d;
}

std::map<std::string, TunnelSpec> current_tunnels(const Config& c) {
  std::map<std::string, TunnelSpec> out;
  for (const auto& b : c.bridges)
    for (const auto& p : b.ports) {
      auto m = p.external_ids.find(kClusterMember);
      if (m == p.external_ids.end()) continue;
      TunnelSpec t{
          b.name, p.name,      m->second, opt(p.options, "remote_ip"), opt(p.options, "local_ip"),
          0,      std::nullopt};
      if (auto k = parse_int(opt(p.options, "key"), 0, kMaxVni)) t.vni = static_cast<uint32_t>(*k);
      if (p.vlan_mode == "access" && p.tag) t.vlan = static_cast<uint16_t>(*p.tag);
      out.emplace(p.name, std::move(t));
    }
  return out;
}

std::vector<Words> tunnel_commands(const std::map<std::string, TunnelSpec>& current,
                                   const std::map<std::string, TunnelSpec>& wanted) {
  std::vector<Words> chain;
  for (const auto& [name, t] : current) {
    auto w = wanted.find(name);
    if (w == wanted.end() || !(w->second == t))
      chain.push_back({"--if-exists", "del-port", t.bridge, name});
  }
  for (const auto& [name, t] : wanted) {
    auto c = current.find(name);
    if (c != current.end() && c->second == t) continue;
    Words add{"add-port", t.bridge, name};
    if (t.vlan) {
      add.push_back("vlan_mode=access");
      add.push_back("tag=" + std::to_string(*t.vlan));
    }
    chain.push_back(std::move(add));
    Words iface{"set",
                "Interface",
                name,
                "type=vxlan",
                "options:remote_ip=" + t.remote_ip,
                "options:key=" + std::to_string(t.vni)};
    if (!t.local_ip.empty()) iface.push_back("options:local_ip=" + t.local_ip);
    chain.push_back(std::move(iface));
    chain.push_back(
        {"set", "Port", name, std::string("external_ids:") + kClusterMember + "=" + t.member,
         std::string("external_ids:") + kClusterTunnelVni + "=" + std::to_string(t.vni)});
  }
  return chain;
}

SetDiff<FdbSpec> diff_fdb(const std::set<FdbSpec>& installed, const std::set<FdbSpec>& wanted) {
  SetDiff<FdbSpec> d;
  std::set_difference(wanted.begin(), wanted.end(), installed.begin(), installed.end(),
                      std::back_inserter(d.add));
  std::set_difference(installed.begin(), installed.end(), wanted.begin(), wanted.end(),
                      std::back_inserter(d.remove));
  return d;
}

std::vector<std::string> changed_neighbour_tables(
    const std::map<std::string, std::set<NeighbourSpec>>& installed,
    const std::map<std::string, std::set<NeighbourSpec>>& wanted) {
  std::vector<std::string> out;
  for (const auto& [bridge, table] : wanted) {
    auto it = installed.find(bridge);
    if (it == installed.end() ? !table.empty() : it->second != table) out.push_back(bridge);
  }
  for (const auto& [bridge, table] : installed)
    if (!wanted.count(bridge) && !table.empty()) out.push_back(bridge);
  return out;
}

}  // namespace lvs::ctl::cluster
