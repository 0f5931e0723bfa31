#include "ctl/cni_config.hpp"

#include <cstdlib>
#include <regex>
#include <sstream>

#include "ctl/config.hpp"
#include "ctl/control_client.hpp"

namespace lvs::ctl::cni {
namespace {

using nlohmann::json;

// SPEC.md: names and container ids start alphanumeric, then alphanumerics, '_', '.', '-'.
bool valid_identifier(const std::string& s) {
  static const std::regex re("^[a-zA-Z0-9][a-zA-Z0-9_.\\-]*$");
  return std::regex_match(s, re);
}
// An interface name the kernel takes (what the reference plugins check).
bool valid_ifname(const std::string& s) {
  if (s.empty() || s.size() > 15 || s == "." || s == "..") return false;
  for (char c : s)
    if (c == '/' || c == ':' || c <= ' ') return false;
  return true;
}
bool valid_mac(const std::string& s) {
  static const std::regex re("^([0-9a-fA-F]{2}:){5}[0-9a-fA-F]{2}$");
  return std::regex_match(s, re);
}

CniError bad(const std::string& key, const std::string& why) {
  return cni_error(kInvalidConfig, "invalid network config", key + ": " + why);
}

std::string getenv_or_empty(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

// Typed readers: nullopt when absent, an error naming the key when of the wrong type.
CniStatus read_bool(const json& j, const char* key, bool& out) {
  if (!j.contains(key) || j[key].is_null()) return std::nullopt;
  if (!j[key].is_boolean()) return bad(key, "must be true or false, not " + j[key].dump());
  out = j[key].get<bool>();
  return std::nullopt;
}
CniStatus read_string(const json& j, const char* key, std::string& out) {
  if (!j.contains(key) || j[key].is_null()) return std::nullopt;
  if (!j[key].is_string()) return bad(key, "must be a string, not " + j[key].dump());
  out = j[key].get<std::string>();
  return std::nullopt;
}
// runtimeConfig.bandwidth: the bandwidth plugin's keys, non-negative integers (bits/s, bits).
CniStatus read_bandwidth(const json& runtime_config, PortRateLimits& out) {
  const char* key = "runtimeConfig.bandwidth";
  if (!runtime_config.contains("bandwidth") || runtime_config["bandwidth"].is_null())
    return std::nullopt;
  const json& bw = runtime_config["bandwidth"];
  if (!bw.is_object()) return bad(key, "must be an object");
  CniBandwidth in;
  for (auto [name, field] : {std::pair{"ingressRate", &in.ingress_rate},
                             std::pair{"ingressBurst", &in.ingress_burst},
                             std::pair{"egressRate", &in.egress_rate},
                             std::pair{"egressBurst", &in.egress_burst}}) {
    if (!bw.contains(name) || bw[name].is_null()) continue;
    if (!bw[name].is_number_unsigned())
      return bad(std::string(key) + "." + name,
                 bw[name].dump() + " is not a non-negative integer (bits per second or bits)");
    *field = bw[name].get<uint64_t>();
  }
  auto limits = from_cni_bandwidth(in);
  if (!limits) return bad(key, limits.error().message);
  out = *limits;
  return std::nullopt;
}

CniStatus read_int(const json& j, const char* key, int lo, int hi, std::optional<int>& out) {
  if (!j.contains(key) || j[key].is_null()) return std::nullopt;
  if (!j[key].is_number_integer() || j[key].get<long long>() < lo || j[key].get<long long>() > hi)
    return bad(key, j[key].dump() + " is not an integer in " + std::to_string(lo) + ".." +
                        std::to_string(hi));
  out = j[key].get<int>();
  return std::nullopt;
}

// vlanTrunk: [{"id": N}, {"minID": A, "maxID": B}, ...], VLANs 1..4094 as the bridge plugin.
CniStatus read_vlan_trunk(const json& j, std::vector<std::pair<int, int>>& out) {
  if (!j.contains("vlanTrunk") || j["vlanTrunk"].is_null()) return std::nullopt;
  if (!j["vlanTrunk"].is_array())
    return bad("vlanTrunk", "must be a list of {\"id\"} or {\"minID\", \"maxID\"}");
  for (const auto& e : j["vlanTrunk"]) {
    if (!e.is_object()) return bad("vlanTrunk", e.dump() + " is not an object");
    std::optional<int> id, lo, hi;
    if (auto err = read_int(e, "id", 1, 4094, id)) return bad("vlanTrunk", err->details);
    if (auto err = read_int(e, "minID", 1, 4094, lo)) return bad("vlanTrunk", err->details);
    if (auto err = read_int(e, "maxID", 1, 4094, hi)) return bad("vlanTrunk", err->details);
    if (id && !lo && !hi) {
      out.emplace_back(*id, *id);
    } else if (!id && lo && hi && *lo <= *hi) {
      out.emplace_back(*lo, *hi);
    } else {
      return bad("vlanTrunk", e.dump() + " needs \"id\", or \"minID\" <= \"maxID\"");
    }
  }
  if (out.empty()) return bad("vlanTrunk", "is empty");
  return std::nullopt;
}

// Bridge-plugin keys that mean something this switch does not do: refused when turned on.
CniStatus refuse_unsupported(const json& j) {
  for (const char* key : {"promiscMode", "macspoofchk", "enabledad", "disableContainerInterface"}) {
    if (j.contains(key) && j[key] == true)
      return cni_error(kUnsupportedField, "unsupported field in network configuration",
                       std::string(key) + "=true is not supported by lite-vswitch");
  }
  return std::nullopt;
}

}  // namespace

const std::vector<std::string>& supported_versions() {
  static const std::vector<std::string> v = {"1.0.0", "1.1.0"};
  return v;
}

int compare_versions(const std::string& a, const std::string& b) {
  auto parts = [](const std::string& s) {
    std::vector<int> p;
    std::stringstream in(s);
    std::string item;
    while (std::getline(in, item, '.')) p.push_back(std::atoi(item.c_str()));
    p.resize(3, 0);
    return p;
  };
  const auto pa = parts(a), pb = parts(b);
  return pa < pb ? -1 : (pa == pb ? 0 : 1);
}

Env read_env() {
  return Env{getenv_or_empty("CNI_COMMAND"), getenv_or_empty("CNI_CONTAINERID"),
             getenv_or_empty("CNI_NETNS"),   getenv_or_empty("CNI_IFNAME"),
             getenv_or_empty("CNI_ARGS"),    getenv_or_empty("CNI_PATH")};
}

CniStatus check_env(const Env& env) {
  const std::string& c = env.command;
  const bool attachment = c == "ADD" || c == "DEL" || c == "CHECK";
  if (attachment) {
    if (env.container_id.empty())
      return cni_error(kInvalidEnvironment, "required env variables [CNI_CONTAINERID] missing");
    if (!valid_identifier(env.container_id))
      return cni_error(kInvalidEnvironment, "invalid CNI_CONTAINERID",
                       "\"" + env.container_id +
                           "\" must start alphanumeric, then alphanumerics, '_', '.', '-'");
    if (env.ifname.empty())
      return cni_error(kInvalidEnvironment, "required env variables [CNI_IFNAME] missing");
    if (!valid_ifname(env.ifname))
      return cni_error(kInvalidEnvironment, "invalid CNI_IFNAME",
                       "\"" + env.ifname + "\" is not an interface name");
  }
  if ((c == "ADD" || c == "CHECK") && env.netns.empty())
    return cni_error(kInvalidEnvironment, "required env variables [CNI_NETNS] missing");
  return std::nullopt;
}

CniResult<NetConf> parse_net_conf(const std::string& text, const std::string& command,
                                  const Env& env) {
  NetConf n;
  try {
    n.raw = json::parse(text);
  } catch (const json::exception& e) {
    return cni_error(kDecodingFailure, "failed to decode network config", e.what());
  }
  if (!n.raw.is_object())
    return cni_error(kDecodingFailure, "failed to decode network config", "not a JSON object");
  const json& j = n.raw;
  if (auto e = read_string(j, "cniVersion", n.cni_version)) return *e;
  if (command == "VERSION") return n;
  bool known = false;
  for (const auto& v : supported_versions()) known = known || v == n.cni_version;
  if (!known)
    return cni_error(kIncompatibleVersion, "incompatible CNI versions",
                     "config is \"" + n.cni_version + "\", plugin supports [\"1.0.0\" \"1.1.0\"]");
  if ((command == "GC" || command == "STATUS") && compare_versions(n.cni_version, "1.1.0") < 0)
    return cni_error(kIncompatibleVersion, "incompatible CNI versions",
                     command + " needs cniVersion 1.1.0 or later, config is " + n.cni_version);

  if (auto e = read_string(j, "name", n.name)) return *e;
  if (!valid_identifier(n.name)) return bad("name", "\"" + n.name + "\" is not a network name");
  if (auto e = read_string(j, "type", n.type)) return *e;
  if (auto e = refuse_unsupported(j)) return *e;
  if (auto e = read_string(j, "bridge", n.bridge)) return *e;
  if (!valid_ifname(n.bridge))
    return bad("bridge", "\"" + n.bridge + "\" is not a bridge name (1..15 characters)");
  if (auto e = read_int(j, "vlan", 0, 4094, n.vlan)) return *e;
  if (auto e = read_vlan_trunk(j, n.vlan_trunk)) return *e;
  if (auto e = read_int(j, "mtu", 68, 65535, n.mtu)) return *e;
  for (auto [key, out] : {std::pair<const char*, bool*>{"isGateway", &n.is_gateway},
                          {"isDefaultGateway", &n.is_default_gateway},
                          {"ipMasq", &n.ip_masq},
                          {"hairpinMode", &n.hairpin_mode},
                          {"portIsolation", &n.port_isolation}})
    if (auto e = read_bool(j, key, *out)) return *e;
  // As the bridge plugin: the default gateway is a gateway.
  if (n.is_default_gateway) n.is_gateway = true;
  n.socket = kDefaultSocket;
  if (auto e = read_string(j, "socket", n.socket)) return *e;
  if (n.socket.empty()) return bad("socket", "is empty");

  if (j.contains("ipam") && !j["ipam"].is_null()) {
    const json& ipam = j["ipam"];
    if (!ipam.is_object()) return bad("ipam", "must be an object");
    if (auto e = read_string(ipam, "type", n.ipam_type)) return bad("ipam", e->details);
    if (n.ipam_type == kOwnIpamType) {
      n.ipam_pool = n.bridge;
      if (auto e = read_string(ipam, "pool", n.ipam_pool)) return bad("ipam", e->details);
      if (n.ipam_pool.empty()) return bad("ipam.pool", "is empty");
      if (auto e = read_string(ipam, "subnet", n.ipam_subnet)) return bad("ipam", e->details);
      if (auto e = read_string(ipam, "gateway", n.ipam_gateway)) return bad("ipam", e->details);
      if (!n.ipam_subnet.empty() && !parse_ipv4_prefix(n.ipam_subnet))
        return bad("ipam.subnet", "\"" + n.ipam_subnet + "\" is not an IPv4 subnet (A.B.C.D/P)");
      if (!n.ipam_gateway.empty() && (!parse_ipv4(n.ipam_gateway) || n.ipam_subnet.empty()))
        return bad("ipam.gateway",
                   "\"" + n.ipam_gateway + "\" is not an IPv4 address with an ipam.subnet");
      if (ipam.contains("routes") && !ipam["routes"].is_null()) {
        if (!ipam["routes"].is_array())
          return bad("ipam.routes", "must be a list of {\"dst\", \"gw\"}");
        n.ipam_routes = ipam["routes"];
      }
    } else if (!n.ipam_type.empty() && !valid_identifier(n.ipam_type)) {
      return bad("ipam.type", "\"" + n.ipam_type + "\" is not a plugin name");
    }
  }
  if (j.contains("dns") && !j["dns"].is_null()) {
    if (!j["dns"].is_object()) return bad("dns", "must be an object");
    n.dns = j["dns"];
  }
  if (j.contains("prevResult") && !j["prevResult"].is_null()) {
    if (!j["prevResult"].is_object()) return bad("prevResult", "must be an object");
    n.prev_result = j["prevResult"];
  }

  // MAC: CNI_ARGS "MAC=..." first, runtimeConfig.mac (the "mac" capability) over it.
  std::stringstream args(env.args);
  std::string kv;
  while (std::getline(args, kv, ';'))
    if (kv.rfind("MAC=", 0) == 0) n.mac = kv.substr(4);
  if (j.contains("runtimeConfig") && j["runtimeConfig"].is_object())
    if (auto e = read_string(j["runtimeConfig"], "mac", n.mac))
      return bad("runtimeConfig", e->details);
  if (!n.mac.empty() && !valid_mac(n.mac))
    return bad("runtimeConfig.mac", "\"" + n.mac + "\" is not a MAC address");
  if (j.contains("runtimeConfig") && j["runtimeConfig"].is_object())
    if (auto e = read_bandwidth(j["runtimeConfig"], n.bandwidth)) return *e;

  if (command == "GC") {
    const char* key = "cni.dev/valid-attachments";
    if (j.contains(key) && !j[key].is_null()) {
      if (!j[key].is_array()) return bad(key, "must be a list");
      for (const auto& a : j[key]) {
        if (!a.is_object() || !a.contains("containerID") || !a["containerID"].is_string() ||
            !a.contains("ifname") || !a["ifname"].is_string())
          return bad(key, a.dump() + " needs string \"containerID\" and \"ifname\"");
        n.valid_attachments.push_back(
            {a["containerID"].get<std::string>(), a["ifname"].get<std::string>()});
      }
    }
  }
  return n;
}

}  // namespace lvs::ctl::cni
