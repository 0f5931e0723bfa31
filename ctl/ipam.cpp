#include "ctl/ipam.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <set>

#include "ctl/cluster/cluster_config.hpp"

namespace lvs::ctl {
namespace {

using nlohmann::json;

Error invalid(std::string m) { return make_error(kErrInvalid, std::move(m)); }
Error not_found(std::string m) { return make_error(kErrNotFound, std::move(m)); }

uint32_t mask_of(int prefix) { return prefix == 0 ? 0 : ~0u << (32 - prefix); }
uint32_t broadcast_of(const Ipv4Prefix& p) { return p.network() | ~mask_of(p.prefix); }
std::string cidr(const Ipv4Prefix& p) {
  return format_ipv4(p.network()) + "/" + std::to_string(p.prefix);
}
bool overlaps(const Ipv4Prefix& a, const Ipv4Prefix& b) {
  const int p = std::min(a.prefix, b.prefix);
  return ((a.addr ^ b.addr) & mask_of(p)) == 0;
}

Status validate_pool_name(const std::string& name) {
  if (name.empty() || name.size() > 128)
    return invalid("pool name \"" + name + "\" must be 1..128 characters");
  for (char ch : name)
    if (!std::isalnum(static_cast<unsigned char>(ch)) && ch != '-' && ch != '_' && ch != '.' &&
        ch != ':')
      return invalid("pool name \"" + name + "\": only letters, digits and - _ . : are allowed");
  return std::nullopt;
}

Status validate_owner(const std::string& owner) {
  if (owner.empty() || owner.size() > kMaxOwnerLength)
    return invalid("owner must be 1.." + std::to_string(kMaxOwnerLength) + " characters");
  for (char ch : owner)
    if (!std::isgraph(static_cast<unsigned char>(ch)))
      return invalid("owner \"" + owner + "\": no spaces or control characters");
  return std::nullopt;
}

// The implicit pool of a bridge: its internal port's first options:ip prefix.
std::optional<PoolView> bridge_pool(const BridgeConfig& b) {
  const PortConfig* local = b.local_port();
  if (!local) return std::nullopt;
  auto it = local->options.find(kIpOption);
  if (it == local->options.end()) return std::nullopt;
  auto list = parse_ip_list(it->second);
  if (!list || list->empty()) return std::nullopt;
  const Ipv4Prefix& p = list->front();
  PoolView v{b.name, Ipv4Prefix{p.network(), p.prefix}, p.addr, true};
  if (auto r = cluster::host_subnet_of(b); r && v.subnet.contains(r->addr) && r->prefix >= p.prefix)
    v.range = r;
  return v;
}

IpamPool* record_of(Config& c, const std::string& name) {
  for (auto& p : c.ipam_pools)
    if (p.name == name) return &p;
  return nullptr;
}
const IpamPool* record_of(const Config& c, const std::string& name) {
  for (const auto& p : c.ipam_pools)
    if (p.name == name) return &p;
  return nullptr;
}

bool reserved(const PoolView& v, uint32_t a) {
  return a == v.subnet.network() || a == broadcast_of(v.subnet) || (v.gateway && a == *v.gateway);
}

// Explicit pool subnets and bridges' subnets, except `skip`.
std::vector<std::pair<std::string, Ipv4Prefix>> subnets_in_use(const Config& c,
                                                               const std::string& skip) {
  std::vector<std::pair<std::string, Ipv4Prefix>> out;
  for (const auto& p : c.ipam_pools) {
    if (p.subnet.empty() || p.name == skip) continue;
    if (auto s = parse_ipv4_prefix(p.subnet)) out.emplace_back("pool " + p.name, *s);
  }
  for (const auto& b : c.bridges)
    if (auto v = bridge_pool(b)) out.emplace_back("bridge " + b.name, v->subnet);
  return out;
}

Lease make_lease(const PoolView& v, const IpamLease& l) {
  return Lease{v.name, Ipv4Prefix{*parse_ipv4(l.address), v.subnet.prefix}, v.gateway, l.mac};
}

}  // namespace

std::string docker_mac(uint32_t a) {
  char buf[18];
  std::snprintf(buf, sizeof buf, "02:42:%02x:%02x:%02x:%02x", (a >> 24) & 0xff, (a >> 16) & 0xff,
                (a >> 8) & 0xff, a & 0xff);
  return buf;
}

Result<PoolView> find_pool(const Config& c, const std::string& name) {
  if (const IpamPool* p = record_of(c, name); p && !p->subnet.empty()) {
    auto s = parse_ipv4_prefix(p->subnet);
    if (!s) return invalid("pool " + name + ": subnet \"" + p->subnet + "\" is not A/P");
    PoolView v{name, Ipv4Prefix{s->network(), s->prefix}, std::nullopt, false};
    if (!p->gateway.empty()) v.gateway = parse_ipv4(p->gateway);
    return v;
  }
  if (const BridgeConfig* b = c.find_bridge(name)) {
    if (auto v = bridge_pool(*b)) return *v;
    return not_found("bridge " + name + " has no pool: its internal port " + name +
                     " has no options:ip (set interface " + name + " options:ip=A/P)");
  }
  return not_found("no IPAM pool named " + name +
                   " (ipam/add-pool, or a bridge whose internal port has options:ip)");
}

Result<Lease> ipam_alloc(Config& c, const std::string& pool, const std::string& owner,
                         std::optional<uint32_t> want, const std::string& mac) {
  if (auto e = validate_owner(owner)) return *e;
  auto view = find_pool(c, pool);
  if (!view) return view.error();
  std::string canon;
  if (!mac.empty()) {
    auto m = canonical_mac(mac);
    if (!m) return invalid("\"" + mac + "\" is not a MAC address");
    if (std::stoul(m->substr(0, 2), nullptr, 16) & 1)
      return invalid(*m + " is a multicast address");
    canon = *m;
  }
  IpamPool* rec = record_of(c, pool);
  if (rec)
    for (const auto& l : rec->leases)
      if (l.owner == owner) {
        auto have = parse_ipv4(l.address);
        if (want && have && *have != *want)
          return make_error(kErrExists, owner + " already holds " + l.address + " in pool " + pool +
                                            " (release it first)");
        return make_lease(*view, l);
      }
  std::set<uint32_t> used;
  if (rec)
    for (const auto& l : rec->leases)
      if (auto a = parse_ipv4(l.address)) used.insert(*a);
  uint32_t chosen = 0;
  if (want) {
    const std::string w = format_ipv4(*want);
    if (!view->subnet.contains(*want))
      return invalid(w + " is outside pool " + pool + " (" + cidr(view->subnet) + ")");
    if (*want == view->subnet.network())
      return invalid(w + " is the network address of pool " + pool);
    if (*want == broadcast_of(view->subnet))
      return invalid(w + " is the broadcast address of pool " + pool);
    if (view->gateway && *want == *view->gateway)
      return invalid(w + " is the gateway of pool " + pool);
    if (used.count(*want)) {
      std::string holder;
      for (const auto& l : rec->leases)
        if (l.address == w) holder = l.owner;
      return make_error(kErrExists, w + " in pool " + pool + " is already held by " + holder);
    }
    chosen = *want;
  } else {
    auto next = ipam_next_free(c, pool);
    if (!next) return next.error();
    chosen = *next;
  }
  if (!rec) {
    c.ipam_pools.push_back(IpamPool{pool, "", "", {}, {}});
    rec = &c.ipam_pools.back();
  }
  IpamLease l{owner, format_ipv4(chosen), canon.empty() ? docker_mac(chosen) : canon};
  rec->leases.push_back(l);
  return make_lease(*view, l);
}

Result<uint32_t> ipam_next_free(const Config& c, const std::string& pool) {
  auto view = find_pool(c, pool);
  if (!view) return view.error();
  std::set<uint32_t> used;
  if (const IpamPool* rec = record_of(c, pool))
    for (const auto& l : rec->leases)
      if (auto a = parse_ipv4(l.address)) used.insert(*a);
  const Ipv4Prefix& from = view->range ? *view->range : view->subnet;
  const uint32_t first = from.network() + 1, last = broadcast_of(from) - 1;
  for (uint64_t a = first; a <= last; ++a)
    if (!reserved(*view, static_cast<uint32_t>(a)) && !used.count(static_cast<uint32_t>(a)))
      return static_cast<uint32_t>(a);
  return make_error(kErrExists, "pool " + pool + " (" + cidr(view->subnet) +
                                    ") is exhausted: all " + std::to_string(used.size()) +
                                    " addresses are leased");
}

Status ipam_release(Config& c, const std::string& pool, const std::string& owner, bool if_exists) {
  IpamPool* rec = record_of(c, pool);
  if (!rec && !if_exists) {
    if (auto v = find_pool(c, pool); !v) return v.error();
  }
  if (rec) {
    auto it = std::find_if(rec->leases.begin(), rec->leases.end(),
                           [&](const IpamLease& l) { return l.owner == owner; });
    if (it != rec->leases.end()) {
      rec->leases.erase(it);
      // An implicit pool's record exists only to hold leases.
      if (rec->subnet.empty() && rec->leases.empty())
        c.ipam_pools.erase(c.ipam_pools.begin() + (rec - c.ipam_pools.data()));
      return std::nullopt;
    }
  }
  if (if_exists) return std::nullopt;
  return not_found(owner + " holds no lease in pool " + pool);
}

std::optional<Lease> ipam_lease_of(const Config& c, const std::string& pool,
                                   const std::string& owner) {
  const IpamPool* rec = record_of(c, pool);
  auto view = find_pool(c, pool);
  if (!rec || !view) return std::nullopt;
  for (const auto& l : rec->leases)
    if (l.owner == owner) return make_lease(*view, l);
  return std::nullopt;
}

Status ipam_add_pool(Config& c, const std::string& name, const std::string& subnet,
                     const std::string& gateway, bool may_exist) {
  if (auto e = validate_pool_name(name)) return e;
  auto s = parse_ipv4_prefix(subnet);
  if (!s) return invalid("subnet \"" + subnet + "\" is not an IPv4 prefix A/P");
  const Ipv4Prefix net{s->network(), s->prefix};
  std::string gw;
  if (!gateway.empty()) {
    auto g = parse_ipv4(gateway);
    if (!g) return invalid("gateway \"" + gateway + "\" is not an IPv4 address");
    gw = format_ipv4(*g);
  }
  if (const IpamPool* p = record_of(c, name); p && !p->subnet.empty()) {
    if (may_exist && p->subnet == cidr(net) && p->gateway == gw) return std::nullopt;
    return make_error(kErrExists, "pool " + name + " already exists (" + p->subnet +
                                      (p->gateway.empty() ? "" : " gateway " + p->gateway) + ")");
  }
  if (record_of(c, name) || c.find_bridge(name))
    return make_error(kErrExists,
                      "pool " + name + " would shadow the implicit pool of bridge " + name);
  c.ipam_pools.push_back(IpamPool{name, cidr(net), gw, {}, {}});
  // validate_ipam names what is wrong (subnet size, gateway, overlap); undo on error.
  if (auto e = validate_ipam(c)) {
    c.ipam_pools.pop_back();
    return e;
  }
  return std::nullopt;
}

Status ipam_del_pool(Config& c, const std::string& name, bool if_exists) {
  IpamPool* rec = record_of(c, name);
  if (!rec || rec->subnet.empty()) {
    if (if_exists) return std::nullopt;
    return not_found(rec ? "pool " + name + " is the implicit pool of bridge " + name +
                               " (remove the bridge's options:ip instead)"
                         : "no IPAM pool named " + name);
  }
  if (!rec->leases.empty())
    return make_error(kErrExists, "pool " + name + " still holds " +
                                      std::to_string(rec->leases.size()) + " lease(s), e.g. " +
                                      rec->leases.front().address + " of " +
                                      rec->leases.front().owner + " (ipam/release them first)");
  c.ipam_pools.erase(c.ipam_pools.begin() + (rec - c.ipam_pools.data()));
  return std::nullopt;
}

Result<Ipv4Prefix> ipam_free_default_subnet(const Config& c) {
  const auto in_use = subnets_in_use(c, "");
  for (const char* base : kDefaultPoolBases) {
    const Ipv4Prefix p = *parse_ipv4_prefix(base);
    bool clash = false;
    for (const auto& [who, s] : in_use) clash |= overlaps(p, s);
    if (!clash) return p;
  }
  return make_error(kErrExists,
                    "every default pool (172.18.0.0/16 .. 172.31.0.0/16) is in use: give a subnet");
}

json lease_json(const Lease& l) {
  json j{{"pool", l.pool},
         {"address", format_ipv4(l.address.addr) + "/" + std::to_string(l.address.prefix)},
         {"mac", l.mac}};
  j["gateway"] = l.gateway ? json(format_ipv4(*l.gateway)) : json(nullptr);
  return j;
}

Result<json> ipam_show(const Config& c, const std::string& pool) {
  auto one = [&](const std::string& name) -> json {
    json j{{"pool", name}};
    auto v = find_pool(c, name);
    if (v) {
      j["subnet"] = cidr(v->subnet);
      j["gateway"] = v->gateway ? json(format_ipv4(*v->gateway)) : json(nullptr);
      j["implicit"] = v->implicit;
    } else {
      j["error"] = v.error().message;  // an implicit pool whose bridge lost its address
    }
    json leases = json::array();
    if (const IpamPool* rec = record_of(c, name)) {
      for (const auto& l : rec->leases)
        leases.push_back({{"owner", l.owner}, {"address", l.address}, {"mac", l.mac}});
      json ext = json::object();
      for (const auto& [k, val] : rec->external_ids) ext[k] = val;
      if (!ext.empty()) j["external_ids"] = ext;
    }
    j["leases"] = leases;
    return j;
  };
  if (!pool.empty()) {
    if (!record_of(c, pool))
      if (auto v = find_pool(c, pool); !v) return v.error();
    return one(pool);
  }
  std::set<std::string> names;
  for (const auto& p : c.ipam_pools) names.insert(p.name);
  for (const auto& b : c.bridges)
    if (bridge_pool(b)) names.insert(b.name);
  json out = json::array();
  for (const auto& n : names) out.push_back(one(n));
  return out;
}

Status validate_ipam(const Config& c) {
  std::set<std::string> names;
  std::vector<std::pair<std::string, Ipv4Prefix>> explicit_subnets;
  for (const auto& p : c.ipam_pools) {
    const std::string at = "pool " + p.name;
    if (auto e = validate_pool_name(p.name)) return e;
    if (!names.insert(p.name).second) return invalid(at + " given twice");
    std::optional<PoolView> view;
    if (!p.subnet.empty()) {
      auto s = parse_ipv4_prefix(p.subnet);
      if (!s) return invalid(at + ": subnet \"" + p.subnet + "\" is not an IPv4 prefix A/P");
      if (s->prefix > 30)
        return invalid(at + ": subnet " + p.subnet + " has no addresses to hand out (at most /30)");
      view = PoolView{p.name, Ipv4Prefix{s->network(), s->prefix}, std::nullopt, false};
      if (!p.gateway.empty()) {
        auto g = parse_ipv4(p.gateway);
        if (!g) return invalid(at + ": gateway \"" + p.gateway + "\" is not an IPv4 address");
        if (!view->subnet.contains(*g))
          return invalid(at + ": gateway " + p.gateway + " is outside " + p.subnet);
        if (*g == view->subnet.network() || *g == broadcast_of(view->subnet))
          return invalid(at + ": gateway " + p.gateway + " is the network or broadcast address");
        view->gateway = *g;
      }
      for (const auto& [who, other] : explicit_subnets)
        if (overlaps(view->subnet, other))
          return invalid(at + ": subnet " + cidr(view->subnet) + " overlaps " + who + " (" +
                         cidr(other) + ")");
      for (const auto& b : c.bridges)
        if (auto bv = bridge_pool(b); bv && overlaps(view->subnet, bv->subnet))
          return invalid(at + ": subnet " + cidr(view->subnet) + " overlaps bridge " + b.name +
                         " (" + cidr(bv->subnet) + ", its implicit pool)");
      explicit_subnets.emplace_back(at, view->subnet);
    } else if (!p.gateway.empty()) {
      return invalid(at + ": an implicit pool (no subnet) takes its gateway from the bridge");
    }
    std::set<std::string> owners, addresses;
    for (const auto& l : p.leases) {
      if (auto e = validate_owner(l.owner)) return invalid(at + ": " + e->message);
      auto a = parse_ipv4(l.address);
      if (!a)
        return invalid(at + ": lease of " + l.owner + ": \"" + l.address +
                       "\" is not an IPv4 address");
      if (!owners.insert(l.owner).second) return invalid(at + ": " + l.owner + " holds two leases");
      if (!addresses.insert(l.address).second)
        return invalid(at + ": " + l.address + " is leased twice");
      if (!canonical_mac(l.mac))
        return invalid(at + ": lease of " + l.owner + ": \"" + l.mac + "\" is not a MAC");
      if (view && (!view->subnet.contains(*a) || reserved(*view, *a)))
        return invalid(at + ": lease " + l.address + " of " + l.owner +
                       " is not a host address of " + p.subnet);
    }
  }
  return std::nullopt;
}

}  // namespace lvs::ctl
