#include "ctl/cni_result.hpp"

namespace lvs::ctl::cni {
namespace {

using nlohmann::json;

CniError malformed(const std::string& what) {
  return cni_error(kInvalidConfig, "malformed result", what);
}

std::string prefix_text(const Ipv4Prefix& p) {
  return format_ipv4(p.addr) + "/" + std::to_string(p.prefix);
}

CniResult<Ipv4Prefix> read_prefix(const json& j, const char* key) {
  if (!j.contains(key) || !j[key].is_string())
    return malformed(std::string(key) + " missing in " + j.dump());
  const std::string text = j[key].get<std::string>();
  if (text.find(':') != std::string::npos)
    return cni_error(kUnsupportedField, "unsupported address",
                     std::string(key) + "=" + text + ": lite-vswitch handles IPv4 only");
  auto p = parse_ipv4_prefix(text);
  if (!p) return malformed(std::string(key) + " \"" + text + "\" is not an IPv4 prefix");
  return *p;
}
CniResult<std::optional<uint32_t>> read_ip(const json& j, const char* key) {
  if (!j.contains(key) || j[key].is_null()) return std::optional<uint32_t>();
  if (!j[key].is_string()) return malformed(std::string(key) + " is not a string in " + j.dump());
  const std::string text = j[key].get<std::string>();
  if (text.find(':') != std::string::npos)
    return cni_error(kUnsupportedField, "unsupported address",
                     std::string(key) + "=" + text + ": lite-vswitch handles IPv4 only");
  auto a = parse_ipv4(text);
  if (!a) return malformed(std::string(key) + " \"" + text + "\" is not an IPv4 address");
  return std::optional<uint32_t>(*a);
}

}  // namespace

CniResult<NetResult> parse_result(const json& j) {
  if (!j.is_object()) return malformed("a result must be a JSON object");
  NetResult r;
  if (j.contains("interfaces") && !j["interfaces"].is_null()) {
    if (!j["interfaces"].is_array()) return malformed("interfaces must be a list");
    for (const auto& i : j["interfaces"]) {
      if (!i.is_object() || !i.contains("name") || !i["name"].is_string())
        return malformed("interface without a name: " + i.dump());
      r.interfaces.push_back({i["name"].get<std::string>(), i.value("mac", std::string()),
                              i.value("sandbox", std::string())});
    }
  }
  if (j.contains("ips") && !j["ips"].is_null()) {
    if (!j["ips"].is_array()) return malformed("ips must be a list");
    for (const auto& i : j["ips"]) {
      if (!i.is_object()) return malformed("ip entry is not an object: " + i.dump());
      IpConfig ip;
      auto a = read_prefix(i, "address");
      if (!a) return a.error();
      ip.address = *a;
      auto gw = read_ip(i, "gateway");
      if (!gw) return gw.error();
      ip.gateway = *gw;
      if (i.contains("interface") && !i["interface"].is_null()) {
        if (!i["interface"].is_number_unsigned() ||
            i["interface"].get<size_t>() >= r.interfaces.size())
          return malformed("ip " + i.dump() + " refers to no interface of the result");
        ip.interface = i["interface"].get<size_t>();
      }
      r.ips.push_back(ip);
    }
  }
  if (j.contains("routes") && !j["routes"].is_null()) {
    if (!j["routes"].is_array()) return malformed("routes must be a list");
    for (const auto& rt : j["routes"]) {
      if (!rt.is_object()) return malformed("route is not an object: " + rt.dump());
      for (const char* key : {"mtu", "advmss", "priority", "table", "scope"})
        if (rt.contains(key))
          return cni_error(kUnsupportedField, "unsupported route field",
                           std::string(key) + "=" + rt[key].dump() + " in route " + rt.dump());
      Route route;
      auto dst = read_prefix(rt, "dst");
      if (!dst) return dst.error();
      route.dst = *dst;
      auto gw = read_ip(rt, "gw");
      if (!gw) return gw.error();
      route.gw = *gw;
      r.routes.push_back(route);
    }
  }
  if (j.contains("dns") && j["dns"].is_object() && !j["dns"].empty()) r.dns = j["dns"];
  return r;
}

json result_json(const NetResult& r, const std::string& cni_version) {
  json out = {{"cniVersion", cni_version}};
  json ifs = json::array();
  for (const auto& i : r.interfaces) {
    json e = {{"name", i.name}};
    if (!i.mac.empty()) e["mac"] = i.mac;
    if (!i.sandbox.empty()) e["sandbox"] = i.sandbox;
    ifs.push_back(e);
  }
  out["interfaces"] = ifs;
  json ips = json::array();
  for (const auto& ip : r.ips) {
    json e = {{"address", prefix_text(ip.address)}};
    if (ip.gateway) e["gateway"] = format_ipv4(*ip.gateway);
    if (ip.interface) e["interface"] = *ip.interface;
    ips.push_back(e);
  }
  if (!ips.empty()) out["ips"] = ips;
  json routes = json::array();
  for (const auto& rt : r.routes) {
    json e = {{"dst", prefix_text(rt.dst)}};
    if (rt.gw) e["gw"] = format_ipv4(*rt.gw);
    routes.push_back(e);
  }
  if (!routes.empty()) out["routes"] = routes;
  out["dns"] = r.dns.is_object() ? r.dns : json::object();
  return out;
}

}  // namespace lvs::ctl::cni
