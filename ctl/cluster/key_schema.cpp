#include "ctl/cluster/key_schema.hpp"

#include <charconv>
#include <nlohmann/json.hpp>

namespace lvs::ctl::cluster {
namespace {

constexpr std::string_view kHosts = "hosts/";
constexpr std::string_view kEndpoints = "endpoints/";
constexpr std::string_view kSubnets = "subnets/";

bool starts_with(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

std::string text_field(const nlohmann::json& j, const char* name) {
  const auto it = j.find(name);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

Error bad_value(std::string_view what, std::string_view why) {
  return make_error(kErrInvalid, std::string(what) + ": " + std::string(why));
}

}  // namespace

std::string host_key(std::string_view prefix, std::string_view host_id) {
  return std::string(prefix) + std::string(kHosts) + std::string(host_id);
}

std::string endpoint_key(std::string_view prefix, uint32_t vni, std::string_view mac) {
  return std::string(prefix) + std::string(kEndpoints) + std::to_string(vni) + "/" +
         std::string(mac);
}

std::string subnet_key(std::string_view prefix, std::string_view subnet) {
  std::string s(subnet);
  if (const size_t slash = s.find('/'); slash != std::string::npos) s[slash] = '-';
  return std::string(prefix) + std::string(kSubnets) + s;
}

std::string prefix_end(std::string_view prefix) {
  std::string end(prefix);
  while (!end.empty()) {
    if (static_cast<unsigned char>(end.back()) < 0xff) {
      end.back() = char(static_cast<unsigned char>(end.back()) + 1);
      return end;
    }
    end.pop_back();
  }
  return std::string(1, '\0');  // etcd: "\0" as range_end means every key
}

std::string member_value(const Member& m) {
  return nlohmann::json{{"underlay_ip", m.underlay_ip},
                        {"vtep_mac", m.vtep_mac},
                        {"vnis", m.vnis},
                        {"subnet", m.subnet}}
      .dump();
}

std::string endpoint_value(const Endpoint& e) {
  return nlohmann::json{{"ip", e.ip}, {"ip6", e.ip6}, {"host", e.host}}.dump();
}

std::string subnet_value(std::string_view host_id) {
  return nlohmann::json{{"host", host_id}}.dump();
}

KeyName parse_key(std::string_view prefix, std::string_view key) {
  KeyName k;
  if (!starts_with(key, prefix)) return k;
  std::string_view rest = key.substr(prefix.size());
  if (starts_with(rest, kHosts) && rest.size() > kHosts.size()) {
    k.kind = KeyName::Kind::kHost;
    k.id = std::string(rest.substr(kHosts.size()));
  } else if (starts_with(rest, kEndpoints)) {
    rest = rest.substr(kEndpoints.size());
    const size_t slash = rest.find('/');
    if (slash == std::string_view::npos || slash + 1 == rest.size()) return k;
    const auto [end, ec] = std::from_chars(rest.data(), rest.data() + slash, k.vni);
    if (ec != std::errc() || end != rest.data() + slash) return k;
    k.kind = KeyName::Kind::kEndpoint;
    k.mac = std::string(rest.substr(slash + 1));
  } else if (starts_with(rest, kSubnets) && rest.size() > kSubnets.size()) {
    std::string s(rest.substr(kSubnets.size()));
    const size_t dash = s.rfind('-');
    if (dash == std::string::npos) return k;
    s[dash] = '/';
    k.kind = KeyName::Kind::kSubnet;
    k.id = std::move(s);
  }
  return k;
}

Result<Member> parse_member(std::string_view id, std::string_view value) {
  const std::string what = "host '" + std::string(id) + "'";
  const auto j = nlohmann::json::parse(value, nullptr, false);
  if (!j.is_object()) return bad_value(what, "value is not a JSON object");
  Member m;
  m.id = std::string(id);
  m.underlay_ip = text_field(j, "underlay_ip");
  m.vtep_mac = text_field(j, "vtep_mac");
  m.subnet = text_field(j, "subnet");
  if (m.underlay_ip.empty()) return bad_value(what, "no underlay_ip");
  if (const auto it = j.find("vnis"); it != j.end()) {
    if (!it->is_array()) return bad_value(what, "vnis is not a list");
    for (const auto& v : *it) {
      if (!v.is_number_unsigned() || v.get<uint64_t>() > 0xffffff)
        return bad_value(what, "vni " + v.dump() + " is not in 0..16777215");
      m.vnis.push_back(v.get<uint32_t>());
    }
  }
  return m;
}

Result<Endpoint> parse_endpoint(uint32_t vni, std::string_view mac, std::string_view value) {
  const std::string what = "endpoint " + std::to_string(vni) + "/" + std::string(mac);
  const auto j = nlohmann::json::parse(value, nullptr, false);
  if (!j.is_object()) return bad_value(what, "value is not a JSON object");
  Endpoint e;
  e.vni = vni;
  e.mac = std::string(mac);
  e.ip = text_field(j, "ip");
  e.ip6 = text_field(j, "ip6");
  e.host = text_field(j, "host");
  if (e.host.empty()) return bad_value(what, "no host");
  return e;
}

std::string parse_subnet_holder(std::string_view value) {
  const auto j = nlohmann::json::parse(value, nullptr, false);
  return j.is_object() ? text_field(j, "host") : std::string();
}

}  // namespace lvs::ctl::cluster
