#include "ctl/attach.hpp"

#include <algorithm>
#include <map>

#include <nlohmann/json.hpp>

#include "ctl/cluster/cluster_config.hpp"
#include "ctl/container.hpp"
#include "ctl/control_client.hpp"
#include "ctl/derived_mac.hpp"
#include "ctl/link_ops.hpp"
#include "ctl/netns.hpp"
#include "ctl/port_kind.hpp"

namespace lvs::ctl {
namespace {

using nlohmann::json;
using Chain = std::vector<std::vector<std::string>>;

constexpr int kTimeoutMs = 20000;

std::string socket_of(const AttachArgs& a) { return a.socket.empty() ? kDefaultSocket : a.socket; }

// One transaction; the outputs, or the daemon's error.
Result<json> call(const AttachArgs& a, const Chain& chain) {
  auto reply = transact(socket_of(a), chain, kTimeoutMs);
  if (!reply) return reply.error();
  if (reply->contains("error"))
    return make_error((*reply)["error"].value("code", std::string(kErrIo)),
                      (*reply)["error"].value("message", std::string("vswitchd refused the request")));
  return (*reply)["result"]["outputs"];
}

// What the switch holds: bridges (name -> port names) and interfaces (name -> record).
struct Snapshot {
  std::map<std::string, std::vector<std::string>> bridges;
  std::map<std::string, json> interfaces;
  std::map<std::string, json> bridge_records;
  json global;  // the Open_vSwitch record
  std::string bridge_of(const std::string& port) const {
    for (const auto& [b, ports] : bridges)
      for (const auto& p : ports)
        if (p == port) return b;
    return {};
  }
  std::string external_id(const std::string& port, const std::string& key) const {
    auto it = interfaces.find(port);
    if (it == interfaces.end() || !it->second.contains("external_ids")) return {};
    return it->second["external_ids"].value(key, std::string());
  }
};

Result<Snapshot> snapshot(const AttachArgs& a) {
  auto out = call(a, {{"list", "Bridge"}, {"list", "Interface"}, {"list", "Open_vSwitch"}});
  if (!out) return out.error();
  Snapshot s;
  for (const auto& b : (*out)[0]) {
    s.bridges[b["name"].get<std::string>()] = b["ports"].get<std::vector<std::string>>();
    s.bridge_records[b["name"].get<std::string>()] = b;
  }
  if ((*out)[2].is_array() && !(*out)[2].empty()) s.global = (*out)[2][0];
  for (const auto& i : (*out)[1]) s.interfaces[i["name"].get<std::string>()] = i;
  return s;
}

// The bridge's own address when `ip` lies in its subnet (docker's "default via 172.17.0.1").
std::optional<uint32_t> bridge_gateway(const Snapshot& s, const std::string& bridge, const Ipv4Prefix& ip) {
  auto it = s.interfaces.find(bridge);
  if (it == s.interfaces.end() || !it->second.contains("options")) return std::nullopt;
  auto list = parse_ip_list(it->second["options"].value(kIpOption, std::string()));
  if (!list) return std::nullopt;
  for (const auto& a : *list)
    if (a.prefix == ip.prefix && a.contains(ip.addr)) return a.addr;
  return std::nullopt;
}

// Ports of `container` (by namespace key or recorded id) on `bridge`, optionally one interface.
std::vector<std::string> ports_of(const Snapshot& s, const std::string& bridge, const std::string& key,
                                  const std::string& id, const std::string& ifname) {
  std::vector<std::string> out;
  auto b = s.bridges.find(bridge);
  if (b == s.bridges.end()) return out;
  for (const auto& p : b->second) {
    const std::string k = s.external_id(p, kContainerNetns), i = s.external_id(p, kContainerId);
    if (k.empty() || (k != key && i != id)) continue;
    if (!ifname.empty() && s.external_id(p, kContainerIface) != ifname) continue;
    out.push_back(p);
  }
  return out;
}

// The MTU that fits the bridge's tunnels (e.g. 1450 for VXLAN over a 1500-byte underlay): the
// smallest inner MTU the tunnel ports report, or what a 1500-byte underlay leaves when a port
// cannot tell (not open, no route yet). nullopt: the bridge has no tunnel.
constexpr int kAssumedUnderlayMtu = 1500;

std::optional<int> tunnel_mtu(const Snapshot& s, const std::string& bridge) {
  auto b = s.bridges.find(bridge);
  if (b == s.bridges.end()) return std::nullopt;
  std::optional<int> mtu;
  for (const auto& p : b->second) {
    auto it = s.interfaces.find(p);
    if (it == s.interfaces.end()) continue;
    const json& rec = it->second;
    // The kinds that cost the MTU something (tunnels) decide it.
    PortConfig port;
    if (rec.contains("type") && rec["type"].is_string()) port.type = rec["type"].get<std::string>();
    const PortKind* kind = find_port_kind(port.type);
    if (!kind || !kind->mtu_overhead) continue;
    if (rec.contains("options") && rec["options"].is_object())
      for (const auto& [key, value] : rec["options"].items())
        if (value.is_string()) port.options[key] = value.get<std::string>();
    int m = 0;
    const bool healthy = !rec.contains("error") || !rec["error"].is_string() ||
                         rec["error"].get<std::string>().empty();
    if (healthy && rec.contains("mtu") && rec["mtu"].is_number_integer()) m = rec["mtu"].get<int>();
    if (m < 68) m = kAssumedUnderlayMtu - kind->mtu_overhead(port);
    mtu = mtu ? std::min(*mtu, m) : m;
  }
  return mtu;
}

// A cluster bridge (cluster_config.hpp) gets tunnels only once other hosts join: its containers
// get the overlay's MTU from the start (50 bytes less over IPv4, 70 over IPv6).
std::optional<int> cluster_mtu(const Snapshot& s, const std::string& bridge) {
  auto b = s.bridge_records.find(bridge);
  if (b == s.bridge_records.end() || !b->second.contains("other_config")) return std::nullopt;
  const json& oc = b->second["other_config"];
  if (!oc.is_object() || (!oc.contains(cluster::kClusterVni) && !oc.contains(cluster::kClusterVniMap)))
    return std::nullopt;
  std::string local;
  if (s.global.is_object() && s.global.contains("other_config") && s.global["other_config"].is_object())
    local = s.global["other_config"].value(cluster::kClusterLocalIp, std::string());
  const bool v6 = local.find(':') != std::string::npos;
  return kAssumedUnderlayMtu - (v6 ? cluster::kOverheadIpv6 : cluster::kOverheadIpv4);
}

std::string publish_text(const std::vector<PublishedPort>& list) {
  std::string s;
  for (const auto& p : list) s += (s.empty() ? "" : ",") + format_published_port(p);
  return s;
}

}  // namespace

Result<std::string> run_attach(const AttachArgs& given) {
  AttachArgs a = given;
  auto ref = resolve_container(a.container);
  if (!ref) return ref.error();
  auto ns = NetnsFd::open(ref->ns_path);
  if (!ns) return ns.error();
  auto snap = snapshot(a);
  if (!snap) return snap.error();

  // The interface: as asked; else the one this container already has on the bridge (a rerun);
  // else eth0 for a container with nothing but lo, eth1 otherwise (pipework's default).
  std::string ifname = a.ifname;
  if (ifname.empty()) {
    auto mine = ports_of(*snap, a.bridge, ref->key, ref->id, "");
    if (!mine.empty()) ifname = snap->external_id(mine.front(), kContainerIface);
  }
  if (ifname.empty()) {
    std::vector<std::string> names;
    if (auto e = run_in_netns(*ns, [&]() -> Status {
          auto l = link_names();
          if (!l) return l.error();
          names = *l;
          return std::nullopt;
        }))
      return *e;
    const bool only_lo = names.size() == 1 && names[0] == "lo";
    ifname = only_lo || names.empty() ? "eth0" : "eth1";
  }
  const std::string host = host_veth_name(a.container, ref->key, ifname);
  if (const std::string other = snap->bridge_of(host); !other.empty() && other != a.bridge)
    return make_error(kErrExists, "container \"" + a.container + "\" " + ifname + " is already attached to bridge " +
                                      other + " (port " + host + "); detach it first");

  // No address given: lease one from the bridge's pool, owned by the port (a rerun gets the same).
  const bool fresh_port = snap->bridge_of(host).empty();
  bool leased = false;
  if (!a.ip) {
    std::vector<std::string> alloc = {"ipam/alloc", a.bridge, host, "auto"};
    if (!a.mac.empty()) alloc.push_back(a.mac);
    auto out = call(a, {alloc});
    if (!out) return out.error();
    const json& l = (*out)[0];
    a.ip = parse_ipv4_prefix(l.value("address", std::string()));
    if (!a.ip) return make_error(kErrIo, "vswitchd answered ipam/alloc with " + l.dump());
    if (!a.gateway && l.contains("gateway") && l["gateway"].is_string())
      a.gateway = parse_ipv4(l["gateway"].get<std::string>());
    if (a.mac.empty()) a.mac = l.value("mac", std::string());
    leased = true;
  }
  auto unlease = [&]() {
    if (leased && fresh_port) call(a, {{"--if-exists", "ipam/release", a.bridge, host}});
  };

  std::optional<uint32_t> gateway = a.gateway;
  if (!gateway) gateway = bridge_gateway(*snap, a.bridge, *a.ip);
  if (gateway && *gateway == a.ip->addr)
    return make_error(kErrInvalid, "IP " + format_ipv4(a.ip->addr) + " is the gateway's own address");

  // Containers on a bridge with tunnels get an MTU their frames fit in once encapsulated.
  std::optional<int> mtu = a.mtu ? a.mtu : tunnel_mtu(*snap, a.bridge);
  if (auto c = cluster_mtu(*snap, a.bridge); c && !a.mtu) mtu = mtu ? std::min(*mtu, *c) : *c;

  bool created = false;
  auto undo = [&](Error e) -> Result<std::string> {
    if (created) delete_link(host);
    unlease();
    return e;
  };
  if (!link_exists(host)) {
    if (auto e = create_veth(host, ifname, ns->fd(), mtu, a.mac)) {
      unlease();
      if (e->message.find("exists") != std::string::npos)
        return make_error(kErrExists, "container \"" + a.container + "\" already has an interface " + ifname +
                                          " (choose another with -i)");
      return *e;
    }
    created = true;
  }
  if (auto e = configure_port_end(host, mtu)) return undo(*e);
  std::string mac;
  if (auto e = run_in_netns(*ns, [&]() -> Status {
        if (!link_exists(ifname))
          return make_error(kErrNotFound, "container \"" + a.container + "\" has no interface " + ifname +
                                              " although " + host + " exists; detach and attach again");
        if (auto e = configure_link(ifname, mtu, a.mac, true)) return e;
        // AF_XDP carries no virtio-net header: the container must send complete frames. A
        // rerun as system gives the offloads back (the veth's defaults).
        if (auto e = set_tx_offloads(ifname, a.port_type != "afxdp")) return e;
        if (auto e = add_address(ifname, *a.ip)) return e;
        if (gateway)
          if (auto e = replace_default_route(ifname, *gateway)) return e;
        auto m = link_mac(ifname);
        if (!m) return m.error();
        mac = *m;
        return std::nullopt;
      }))
    return undo(*e);

  const std::string type = a.port_type;
  Chain chain = {{"--may-exist", "add-br", a.bridge},
                 {"--may-exist", "add-port", a.bridge, host},
                 {"set", "Interface", host, "type=" + type}};
  // A container port is an access port (VLAN 0 unless @VLAN) unless a trunk is asked for: an
  // untagged port would be a trunk of every VLAN under Open vSwitch's rules, and a container
  // could then reach any VLAN by tagging its frames.
  if (a.trunk) {
    std::string trunks = "trunks=[";
    for (size_t i = 0; i < a.trunk->size(); ++i) trunks += (i ? "," : "") + std::to_string((*a.trunk)[i]);
    chain.push_back({"set", "Port", host, "vlan_mode=trunk", trunks + "]"});
    chain.push_back({"clear", "Port", host, "tag"});
  } else {
    chain.push_back({"set", "Port", host, "vlan_mode=access", "tag=" + std::to_string(a.vlan.value_or(0))});
    chain.push_back({"clear", "Port", host, "trunks"});
  }
  std::vector<std::string> ids = {"set", "Port", host, std::string("external_ids:") + kContainerId + "=" + ref->id,
                                  std::string("external_ids:") + kContainerIface + "=" + ifname,
                                  std::string("external_ids:") + kContainerNetns + "=" + ref->key,
                                  std::string("external_ids:") + kContainerIp + "=" + format_ipv4(a.ip->addr) +
                                      "/" + std::to_string(a.ip->prefix),
                                  std::string("external_ids:") + kContainerMac + "=" + mac};
  if (!a.publish.empty()) ids.push_back(std::string("external_ids:") + kPublish + "=" + publish_text(a.publish));
  if (leased) ids.push_back(std::string("external_ids:") + kIpamPoolId + "=" + a.bridge);
  chain.push_back(ids);
  if (a.publish.empty()) chain.push_back({"remove", "Port", host, "external_ids", kPublish});
  for (auto& command : rate_limit_commands(host, a.rate.value_or(PortRateLimits{})))
    chain.push_back(std::move(command));
  if (auto out = call(a, chain); !out) return undo(out.error());
  // A port the switch could not open (an MTU an afxdp port cannot carry, say) would leave the
  // container cut off behind a success message: say why, and take back what this run made.
  if (auto st = call(a, {{"get", "Interface", host, "error"}});
      st && !st->empty() && (*st)[0].size() == 1 && (*st)[0][0].is_string()) {
    if (created) call(a, {{"--if-exists", "del-port", a.bridge, host}});
    return undo(make_error(kErrInvalid, (*st)[0][0].get<std::string>()));
  }

  std::string report = "attached " + a.container + " " + ifname + " " + format_ipv4(a.ip->addr) + "/" +
                       std::to_string(a.ip->prefix) + " to " + a.bridge + " as port " + host;
  if (a.vlan) report += " (VLAN " + std::to_string(*a.vlan) + ")";
  if (a.trunk) report += " (trunk)";
  if (a.rate) report += " (rate " + format_rate_spec(*a.rate) + ")";
  if (gateway) report += ", default via " + format_ipv4(*gateway);
  report += "\n";
  // Last, once the port forwards: neighbours learn the (possibly new) MAC at once.
  if (auto e = run_in_netns(*ns, [&]() { return send_gratuitous_arp(ifname, a.ip->addr, mac); }))
    report += "warning: " + e->message + "\n";
  return report;
}

Result<std::string> run_detach(const AttachArgs& a) {
  // A container already gone is still detached by the name it was attached under.
  std::string key;
  if (auto ref = resolve_container(a.container)) key = ref->key;
  auto snap = snapshot(a);
  if (!snap) return snap.error();
  if (!snap->bridges.count(a.bridge)) return make_error(kErrNotFound, "no bridge named " + a.bridge);
  std::string id = a.container;
  if (!key.empty() && key.rfind("docker:", 0) == 0) id = key.substr(7);
  const auto ports = ports_of(*snap, a.bridge, key, id, a.ifname);
  if (ports.empty())
    return "nothing of " + a.container + (a.ifname.empty() ? "" : " " + a.ifname) + " is attached to " +
           a.bridge + "\n";
  Chain chain;
  for (const auto& p : ports) {
    chain.push_back({"--if-exists", "del-port", a.bridge, p});
    if (const std::string pool = snap->external_id(p, kIpamPoolId); !pool.empty())
      chain.push_back({"--if-exists", "ipam/release", pool, p});
  }
  if (auto out = call(a, chain); !out) return out.error();
  std::string report;
  for (const auto& p : ports) {
    if (auto e = delete_link(p)) report += "warning: " + e->message + "\n";
    report += "detached " + a.container + " " + snap->external_id(p, kContainerIface) + " (port " + p + ") from " +
              a.bridge + "\n";
  }
  return report;
}

Result<std::string> run_gc(const AttachArgs& a) {
  auto snap = snapshot(a);
  if (!snap) return snap.error();
  Chain chain;
  std::vector<std::string> gone;
  for (const auto& [name, rec] : snap->interfaces) {
    const std::string key = snap->external_id(name, kContainerNetns);
    if (key.empty()) continue;
    // The kernel deletes a veth with its namespace, so a missing host end is proof enough.
    if (link_exists(name) && container_alive(key)) continue;
    gone.push_back(name);
    chain.push_back({"--if-exists", "del-port", name});
    if (const std::string pool = snap->external_id(name, kIpamPoolId); !pool.empty())
      chain.push_back({"--if-exists", "ipam/release", pool, name});
  }
  if (gone.empty()) return std::string();
  if (auto out = call(a, chain); !out) return out.error();
  std::string report;
  for (const auto& p : gone) {
    if (auto e = delete_link(p)) report += "warning: " + e->message + "\n";
    report += "removed port " + p + " of " + snap->external_id(p, kContainerId) + " (container gone)\n";
  }
  return report;
}

}  // namespace lvs::ctl
