#include "ctl/cluster/cluster_config.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <set>

namespace lvs::ctl::cluster {
namespace {

Error invalid(std::string m) { return make_error(kErrInvalid, std::move(m)); }

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  size_t pos = 0;
  for (;;) {
    const size_t end = s.find(sep, pos);
    out.push_back(s.substr(pos, end == std::string::npos ? std::string::npos : end - pos));
    if (end == std::string::npos) return out;
    pos = end + 1;
  }
}

bool is_ipv6(const std::string& s) {
  in6_addr a{};
  return ::inet_pton(AF_INET6, s.c_str(), &a) == 1;
}

// "host:port" or "[v6]:port"; the host a name, an IPv4 or (bracketed) IPv6 address.
bool valid_endpoint(const std::string& e) {
  std::string host, port;
  if (!e.empty() && e[0] == '[') {
    const size_t close = e.find(']');
    if (close == std::string::npos || close + 1 >= e.size() || e[close + 1] != ':') return false;
    host = e.substr(1, close - 1);
    port = e.substr(close + 2);
    if (!is_ipv6(host)) return false;
  } else {
    const size_t colon = e.rfind(':');
    if (colon == std::string::npos || colon == 0) return false;
    host = e.substr(0, colon);
    port = e.substr(colon + 1);
    for (char c : host)
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-') return false;
  }
  return parse_int(port, 1, 65535).has_value();
}

Result<long long> number(const StringMap& m, const std::string& at, const char* key, long long lo,
                         long long hi, long long def) {
  auto it = m.find(key);
  if (it == m.end()) return def;
  auto v = parse_int(it->second, lo, hi);
  if (!v)
    return invalid(at + "other_config:" + key + " \"" + it->second + "\" is not in " +
                   std::to_string(lo) + ".." + std::to_string(hi));
  return *v;
}

}  // namespace

bool is_cluster_global_key(const std::string& k) {
  return k == kClusterStore || k == kClusterLocalIp || k == kClusterLeaseTtl ||
         k == kClusterSubnet || k == kClusterHostPrefix;
}

bool is_cluster_bridge_key(const std::string& k) { return k == kClusterVni || k == kClusterVniMap; }

Result<std::vector<std::string>> parse_cluster_store(const std::string& url) {
  const std::string at = "Open_vSwitch: other_config:cluster-store \"" + url + "\"";
  constexpr std::string_view kScheme = "etcd://";
  if (!url.starts_with(kScheme)) return invalid(at + " does not start with etcd://");
  std::vector<std::string> out;
  for (const auto& e : split(url.substr(kScheme.size()), ',')) {
    if (!valid_endpoint(e))
      return invalid(at + ": \"" + e + "\" is not HOST:PORT (IPv6 as [ADDR]:PORT)");
    out.push_back(e);
  }
  return out;
}

Result<std::vector<VniBinding>> parse_vni_map(const std::string& text) {
  const std::string at = "other_config:cluster-vni-map \"" + text + "\"";
  std::vector<VniBinding> out;
  std::set<uint32_t> vnis;
  std::set<uint16_t> vlans;
  for (const auto& item : split(text, ',')) {
    const size_t colon = item.find(':');
    auto vlan =
        colon == std::string::npos ? std::nullopt : parse_int(item.substr(0, colon), 0, 4094);
    auto vni =
        colon == std::string::npos ? std::nullopt : parse_int(item.substr(colon + 1), 1, kMaxVni);
    if (!vlan || !vni)
      return invalid(at + ": \"" + item + "\" is not VLAN:VNI (VLAN 0..4094, VNI 1.." +
                     std::to_string(kMaxVni) + ")");
    if (!vlans.insert(static_cast<uint16_t>(*vlan)).second)
      return invalid(at + ": VLAN " + std::to_string(*vlan) + " given twice");
    if (!vnis.insert(static_cast<uint32_t>(*vni)).second)
      return invalid(at + ": VNI " + std::to_string(*vni) + " given twice");
    out.push_back(VniBinding{static_cast<uint32_t>(*vni), static_cast<uint16_t>(*vlan)});
  }
  std::sort(out.begin(), out.end(), [](auto& a, auto& b) { return a.vni < b.vni; });
  return out;
}

Status validate_cluster_global(const StringMap& m) {
  const std::string at = "Open_vSwitch: ";
  if (auto it = m.find(kClusterStore); it != m.end())
    if (auto e = parse_cluster_store(it->second); !e) return e.error();
  if (auto it = m.find(kClusterLocalIp); it != m.end())
    if (!parse_ipv4(it->second) && !is_ipv6(it->second))
      return invalid(at + "other_config:cluster-local-ip \"" + it->second +
                     "\" is not an IPv4 or IPv6 address");
  if (auto v = number(m, at, kClusterLeaseTtl, kMinLeaseTtl, kMaxLeaseTtl, kDefaultLeaseTtl); !v)
    return v.error();
  auto prefix = number(m, at, kClusterHostPrefix, 8, 30, kDefaultHostPrefix);
  if (!prefix) return prefix.error();
  if (auto it = m.find(kClusterSubnet); it != m.end()) {
    auto s = parse_ipv4_prefix(it->second);
    if (!s || s->prefix < 8 || s->prefix > 30)
      return invalid(at + "other_config:cluster-subnet \"" + it->second +
                     "\" is not an IPv4 A/P with P in 8..30");
    if (s->network() != s->addr)
      return invalid(at + "other_config:cluster-subnet \"" + it->second +
                     "\" is not a network address (did you mean " + format_ipv4(s->network()) +
                     "/" + std::to_string(s->prefix) + "?)");
    if (*prefix <= s->prefix)
      return invalid(at + "other_config:cluster-host-prefix " + std::to_string(*prefix) +
                     " is not longer than cluster-subnet's /" + std::to_string(s->prefix));
  } else if (m.count(kClusterHostPrefix)) {
    return invalid(at + "other_config:cluster-host-prefix needs other_config:cluster-subnet");
  }
  const bool store = m.count(kClusterStore) > 0;
  if (store && !m.count(kClusterLocalIp))
    return invalid(at +
                   "other_config:cluster-store needs other_config:cluster-local-ip (this "
                   "host's underlay address)");
  if (!store)
    for (const char* k : {kClusterLocalIp, kClusterLeaseTtl, kClusterSubnet})
      if (m.count(k))
        return invalid(at + "other_config:" + k + " needs other_config:cluster-store");
  return std::nullopt;
}

Status validate_cluster_bridge(const BridgeConfig& b) {
  const std::string at = "bridge " + b.name + ": ";
  auto vni = b.other_config.find(kClusterVni);
  auto map = b.other_config.find(kClusterVniMap);
  if (vni != b.other_config.end() && map != b.other_config.end())
    return invalid(at + "other_config:cluster-vni and cluster-vni-map exclude each other");
  if (vni != b.other_config.end() && !parse_int(vni->second, 1, kMaxVni))
    return invalid(at + "other_config:cluster-vni \"" + vni->second + "\" is not in 1.." +
                   std::to_string(kMaxVni));
  if (map != b.other_config.end())
    if (auto m = parse_vni_map(map->second); !m) return invalid(at + m.error().message);
  if (auto it = b.external_ids.find(kClusterHostSubnet); it != b.external_ids.end())
    if (!parse_ipv4_prefix(it->second))
      return invalid(at + "external_ids:cluster-host-subnet \"" + it->second + "\" is not A/P");
  return std::nullopt;
}

Status validate_cluster(const Config& c) {
  std::map<uint32_t, std::string> owner;
  for (const auto& b : c.bridges)
    for (const auto& binding : bridge_bindings(b)) {
      auto [it, fresh] = owner.emplace(binding.vni, b.name);
      if (!fresh)
        return invalid("bridge " + b.name + ": VNI " + std::to_string(binding.vni) +
                       " is already carried by bridge " + it->second);
    }
  return std::nullopt;
}

std::vector<VniBinding> bridge_bindings(const BridgeConfig& b) {
  if (auto it = b.other_config.find(kClusterVni); it != b.other_config.end())
    if (auto v = parse_int(it->second, 1, kMaxVni))
      return {VniBinding{static_cast<uint32_t>(*v), {}}};
  if (auto it = b.other_config.find(kClusterVniMap); it != b.other_config.end())
    if (auto m = parse_vni_map(it->second)) return *m;
  return {};
}

std::optional<ClusterOptions> cluster_options(const Config& c) {
  const StringMap& m = c.other_config;
  auto store = m.find(kClusterStore);
  if (store == m.end()) return std::nullopt;
  ClusterOptions o;
  o.store_url = store->second;
  if (auto e = parse_cluster_store(store->second)) o.store_endpoints = *e;
  if (auto it = m.find(kClusterLocalIp); it != m.end()) o.local_ip = it->second;
  o.ipv6 = is_ipv6(o.local_ip);
  if (auto it = m.find(kClusterLeaseTtl); it != m.end())
    if (auto v = parse_int(it->second, kMinLeaseTtl, kMaxLeaseTtl))
      o.lease_ttl_s = static_cast<int>(*v);
  if (auto it = m.find(kClusterSubnet); it != m.end()) o.subnet = parse_ipv4_prefix(it->second);
  if (auto it = m.find(kClusterHostPrefix); it != m.end())
    if (auto v = parse_int(it->second, 8, 30)) o.host_prefix = static_cast<int>(*v);
  for (const auto& b : c.bridges)
    if (auto bindings = bridge_bindings(b); !bindings.empty())
      o.bridges.push_back(ClusterBridge{b.name, std::move(bindings)});
  std::sort(o.bridges.begin(), o.bridges.end(), [](auto& a, auto& b) { return a.name < b.name; });
  return o;
}

std::optional<Ipv4Prefix> host_subnet_of(const BridgeConfig& b) {
  auto it = b.external_ids.find(kClusterHostSubnet);
  if (it == b.external_ids.end()) return std::nullopt;
  auto p = parse_ipv4_prefix(it->second);
  if (!p) return std::nullopt;
  return Ipv4Prefix{p->network(), p->prefix};
}

}  // namespace lvs::ctl::cluster
