#include "ctl/config_json.hpp"

#include <set>

namespace lvs::ctl {
namespace {

using nlohmann::json;

// Strict reader that remembers where it is for error messages.
class Reader {
 public:
  std::optional<Error> error;

  bool fail(const std::string& path, const std::string& what) {
    if (!error) error = make_error(kErrInvalid, path + ": " + what);
    return false;
  }
  bool check_keys(const json& j, const std::string& path, const std::set<std::string>& allowed) {
    if (!j.is_object()) return fail(path, "expected an object");
    for (const auto& [k, v] : j.items())
      if (!allowed.count(k)) return fail(path, "unknown key \"" + k + "\"");
    return true;
  }
  bool str(const json& j, const char* key, const std::string& path, std::string& out,
           bool required) {
    if (!j.contains(key)) return required ? fail(path, std::string("missing \"") + key + "\"") : true;
    if (!j[key].is_string()) return fail(path + "." + key, "expected a string");
    out = j[key].get<std::string>();
    return true;
  }
  bool opt_int(const json& j, const char* key, const std::string& path, std::optional<int>& out) {
    if (!j.contains(key) || j[key].is_null()) return true;
    if (!j[key].is_number_integer()) return fail(path + "." + key, "expected an integer or null");
    out = j[key].get<int>();
    return true;
  }
  bool map(const json& j, const char* key, const std::string& path, StringMap& out) {
    if (!j.contains(key)) return true;
    if (!j[key].is_object()) return fail(path + "." + key, "expected an object");
    for (const auto& [k, v] : j[key].items()) {
      if (!v.is_string()) return fail(path + "." + key + "." + k, "expected a string");
      out[k] = v.get<std::string>();
    }
    return true;
  }
};

// IPAM (ipam.hpp): {"pools": [{"name", "subnet", "gateway", "external_ids", "leases": [{"owner",
// "address", "mac"}]}]}, written only when a pool exists (older databases load unchanged).
json ipam_json(const std::vector<IpamPool>& pools) {
  json out = json::array();
  for (const auto& p : pools) {
    json leases = json::array();
    for (const auto& l : p.leases) leases.push_back({{"owner", l.owner}, {"address", l.address}, {"mac", l.mac}});
    out.push_back({{"name", p.name}, {"subnet", p.subnet}, {"gateway", p.gateway},
                   {"external_ids", to_json(p.external_ids)}, {"leases", std::move(leases)}});
  }
  return json{{"pools", std::move(out)}};
}

bool read_ipam(Reader& r, const json& j, std::vector<IpamPool>& pools) {
  if (!r.check_keys(j, "ipam", {"pools"})) return false;
  if (!j.contains("pools")) return true;
  if (!j["pools"].is_array()) return r.fail("ipam.pools", "expected an array");
  size_t pi = 0;
  for (const auto& jp : j["pools"]) {
    const std::string pp = "ipam.pools[" + std::to_string(pi++) + "]";
    IpamPool p;
    if (!r.check_keys(jp, pp, {"name", "subnet", "gateway", "external_ids", "leases"}) ||
        !r.str(jp, "name", pp, p.name, true) || !r.str(jp, "subnet", pp, p.subnet, false) ||
        !r.str(jp, "gateway", pp, p.gateway, false) || !r.map(jp, "external_ids", pp, p.external_ids))
      return false;
    if (jp.contains("leases")) {
      if (!jp["leases"].is_array()) return r.fail(pp + ".leases", "expected an array");
      size_t li = 0;
      for (const auto& jl : jp["leases"]) {
        const std::string lp = pp + ".leases[" + std::to_string(li++) + "]";
        IpamLease l;
        if (!r.check_keys(jl, lp, {"owner", "address", "mac"}) || !r.str(jl, "owner", lp, l.owner, true) ||
            !r.str(jl, "address", lp, l.address, true) || !r.str(jl, "mac", lp, l.mac, true))
          return false;
        p.leases.push_back(std::move(l));
      }
    }
    pools.push_back(std::move(p));
  }
  return true;
}

}  // namespace

json to_json(const StringMap& m) {
  json j = json::object();
  for (const auto& [k, v] : m) j[k] = v;
  return j;
}

json port_json(const PortConfig& p) {
  json j;
  j["name"] = p.name;
  j["type"] = p.type;
  j["tag"] = p.tag ? json(*p.tag) : json(nullptr);
  j["trunks"] = p.trunks;
  j["vlan_mode"] = p.vlan_mode;
  j["admin_state"] = p.admin_up ? "up" : "down";
  j["options"] = to_json(p.options);
  j["external_ids"] = to_json(p.external_ids);
  j["mtu_request"] = p.mtu_request ? json(*p.mtu_request) : json(nullptr);
  // Written only when set: a database without it stays readable by older switches.
  if (!p.other_config.empty()) j["other_config"] = to_json(p.other_config);
  if (p.protected_port) j["protected"] = true;
  if (p.ingress_policing_rate) j["ingress_policing_rate"] = p.ingress_policing_rate;
  if (p.ingress_policing_burst) j["ingress_policing_burst"] = p.ingress_policing_burst;
  return j;
}

json bridge_json(const BridgeConfig& b) {
  json jb;
  jb["name"] = b.name;
  jb["other_config"] = to_json(b.other_config);
  jb["external_ids"] = to_json(b.external_ids);
  json ports = json::array();
  for (const auto& p : b.ports) ports.push_back(port_json(p));
  jb["ports"] = std::move(ports);
  json macs = json::array();
  for (const auto& m : b.static_macs) macs.push_back({{"port", m.port}, {"vlan", m.vlan}, {"mac", m.mac}});
  jb["static_macs"] = std::move(macs);
  if (b.rstp_enable) jb["rstp_enable"] = true;  // only when set: older databases stay as they are
  // Written only when set: a database without mirrors stays readable by older switches.
  if (!b.mirrors.empty()) {
    json mirrors = json::array();
    for (const auto& m : b.mirrors) mirrors.push_back(mirror_json(m));
    jb["mirrors"] = std::move(mirrors);
  }
  return jb;
}

json to_json(const Config& c) {
  json doc;
  doc["schema_version"] = kSchemaVersion;
  json bridges = json::array();
  for (const auto& b : c.bridges) bridges.push_back(bridge_json(b));
  doc["bridges"] = std::move(bridges);
  // Written only when set, so that a database without global settings stays readable by a
  // switch that predates them (same schema version).
  if (!c.other_config.empty()) doc["open_vswitch"] = {{"other_config", to_json(c.other_config)}};
  if (!c.ipam_pools.empty()) doc["ipam"] = ipam_json(c.ipam_pools);
  return doc;
}

Result<Config> config_from_json(const json& doc) {
  Reader r;
  Config c;
  if (!doc.is_object()) return make_error(kErrInvalid, "document: expected an object");
  if (!doc.contains("schema_version")) return make_error(kErrInvalid, "document: missing \"schema_version\"");
  if (!doc["schema_version"].is_number_integer() || doc["schema_version"].get<int>() != kSchemaVersion)
    return make_error(kErrInvalid, "schema_version: " + doc["schema_version"].dump() +
                                       " is not supported (expected " + std::to_string(kSchemaVersion) + ")");
  if (!r.check_keys(doc, "document", {"schema_version", "bridges", "open_vswitch", "ipam"}))
    return *r.error;
  if (doc.contains("ipam"))
    if (!read_ipam(r, doc["ipam"], c.ipam_pools)) return *r.error;
  if (doc.contains("open_vswitch"))
    if (!r.check_keys(doc["open_vswitch"], "open_vswitch", {"other_config"}) ||
        !r.map(doc["open_vswitch"], "other_config", "open_vswitch", c.other_config))
      return *r.error;
  if (!doc.contains("bridges") || !doc["bridges"].is_array())
    return make_error(kErrInvalid, "bridges: expected an array");
  size_t bi = 0;
  for (const auto& jb : doc["bridges"]) {
    const std::string bp = "bridges[" + std::to_string(bi++) + "]";
    BridgeConfig b;
    if (!r.check_keys(jb, bp, {"name", "other_config", "external_ids", "ports", "static_macs",
                                 "rstp_enable", "mirrors"}) ||
        !r.str(jb, "name", bp, b.name, true) || !r.map(jb, "other_config", bp, b.other_config) ||
        !r.map(jb, "external_ids", bp, b.external_ids))
      return *r.error;
    if (jb.contains("ports")) {
      if (!jb["ports"].is_array()) return make_error(kErrInvalid, bp + ".ports: expected an array");
      size_t pi = 0;
      for (const auto& jp : jb["ports"]) {
        const std::string pp = bp + ".ports[" + std::to_string(pi++) + "]";
        PortConfig p;
        std::string admin = "up";
        if (!r.check_keys(jp, pp,
                          {"name", "type", "tag", "trunks", "vlan_mode", "admin_state", "options",
                           "external_ids", "mtu_request", "other_config", "protected",
                           "ingress_policing_rate", "ingress_policing_burst"}) ||
            !r.str(jp, "name", pp, p.name, true) || !r.str(jp, "type", pp, p.type, false) ||
            !r.opt_int(jp, "tag", pp, p.tag) || !r.str(jp, "vlan_mode", pp, p.vlan_mode, false) ||
            !r.str(jp, "admin_state", pp, admin, false) || !r.map(jp, "options", pp, p.options) ||
            !r.map(jp, "external_ids", pp, p.external_ids) ||
            !r.map(jp, "other_config", pp, p.other_config) ||
            !r.opt_int(jp, "mtu_request", pp, p.mtu_request))
          return *r.error;
        if (admin != "up" && admin != "down")
          return make_error(kErrInvalid, pp + ".admin_state: \"" + admin + "\" is not up or down");
        p.admin_up = admin == "up";
        if (jp.contains("protected")) {
          if (!jp["protected"].is_boolean())
            return make_error(kErrInvalid, pp + ".protected: expected true or false");
          p.protected_port = jp["protected"].get<bool>();
        }
        for (auto [key, field] : {std::pair{"ingress_policing_rate", &p.ingress_policing_rate},
                                  std::pair{"ingress_policing_burst", &p.ingress_policing_burst}}) {
          if (!jp.contains(key)) continue;
          if (!jp[key].is_number_unsigned() || jp[key].get<uint64_t>() > kMaxRateKbps)
            return make_error(kErrInvalid, pp + "." + key + ": expected an integer in 0.." +
                                               std::to_string(kMaxRateKbps));
          *field = jp[key].get<uint64_t>();
        }
        if (jp.contains("trunks")) {
          if (!jp["trunks"].is_array()) return make_error(kErrInvalid, pp + ".trunks: expected an array");
          for (const auto& t : jp["trunks"]) {
            if (!t.is_number_integer())
              return make_error(kErrInvalid, pp + ".trunks: expected integers");
            p.trunks.push_back(t.get<int>());
          }
        }
        b.ports.push_back(std::move(p));
      }
    }
    if (jb.contains("rstp_enable")) {
      if (!jb["rstp_enable"].is_boolean())
        return make_error(kErrInvalid, bp + ".rstp_enable: expected true or false");
      b.rstp_enable = jb["rstp_enable"].get<bool>();
    }
    if (jb.contains("static_macs")) {
      if (!jb["static_macs"].is_array())
        return make_error(kErrInvalid, bp + ".static_macs: expected an array");
      size_t mi = 0;
      for (const auto& jm : jb["static_macs"]) {
        const std::string mp = bp + ".static_macs[" + std::to_string(mi++) + "]";
        StaticMac m;
        std::optional<int> vlan;
        if (!r.check_keys(jm, mp, {"port", "vlan", "mac"}) || !r.str(jm, "port", mp, m.port, true) ||
            !r.str(jm, "mac", mp, m.mac, true) || !r.opt_int(jm, "vlan", mp, vlan))
          return *r.error;
        m.vlan = vlan.value_or(0);
        b.static_macs.push_back(std::move(m));
      }
    }
    if (jb.contains("mirrors")) {
      if (!jb["mirrors"].is_array()) return make_error(kErrInvalid, bp + ".mirrors: expected an array");
      size_t mi = 0;
      for (const auto& jm : jb["mirrors"]) {
        auto m = mirror_from_json(jm, bp + ".mirrors[" + std::to_string(mi++) + "]");
        if (!m) return m.error();
        b.mirrors.push_back(std::move(*m));
      }
    }
    c.bridges.push_back(std::move(b));
  }
  if (auto e = validate(c)) return *e;
  return c;
}

}  // namespace lvs::ctl
