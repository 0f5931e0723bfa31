#include "ctl/mirror_config.hpp"

#include <set>

#include "ctl/config.hpp"

namespace lvs::ctl {
namespace {

Error invalid(std::string m) { return make_error(kErrInvalid, std::move(m)); }

}  // namespace

Status validate_mirrors(const BridgeConfig& b) {
  if (b.mirrors.size() > kMaxMirrors)
    return invalid("bridge " + b.name + ": more than " + std::to_string(kMaxMirrors) + " mirrors");
  std::set<std::string> names, outputs;
  for (const auto& m : b.mirrors) {
    if (auto e = validate_name("mirror", m.name)) return e;
    const std::string at = "mirror " + m.name + ": ";
    if (!names.insert(m.name).second)
      return invalid("bridge " + b.name + " already has a mirror named " + m.name);
    if (m.output_port.empty() == m.output_pcap.empty())
      return invalid(at + (m.output_port.empty()
                               ? "needs an output (--output PORT or --output-pcap FILE)"
                               : "--output and --output-pcap are exclusive"));
    if (!m.output_port.empty()) {
      if (!b.find_port(m.output_port))
        return invalid(at + "output port " + m.output_port + " is not on bridge " + b.name);
      if (m.output_port == b.name)
        return invalid(at + "output port " + m.output_port + " is the bridge's local port");
      if (!outputs.insert(m.output_port).second)
        return invalid(at + "port " + m.output_port + " is already the output of another mirror");
    } else {
      if (m.output_pcap.front() != '/' || m.output_pcap.back() == '/')
        return invalid(at + "--output-pcap \"" + m.output_pcap + "\" is not an absolute file path");
      if (m.pcap_max_size_mb < 1 || m.pcap_max_size_mb > kMaxPcapMaxSizeMb)
        return invalid(at + "--pcap-max-size " + std::to_string(m.pcap_max_size_mb) +
                       " is not in 1.." + std::to_string(kMaxPcapMaxSizeMb) + " (MB)");
    }
    for (const auto* list : {&m.select_src, &m.select_dst})
      for (const auto& p : *list) {
        if (!b.find_port(p)) return invalid(at + "port " + p + " is not on bridge " + b.name);
        if (p == m.output_port)
          return invalid(at + "output port " + p + " cannot also be a source (--src/--dst)");
      }
    for (int v : m.select_vlan)
      if (v < 0 || v > 4095)
        return invalid(at + "VLAN " + std::to_string(v) + " is not in 0..4095");
  }
  // An output port is the mirror's alone: no other mirror may select it.
  for (const auto& m : b.mirrors)
    for (const auto* list : {&m.select_src, &m.select_dst})
      for (const auto& p : *list)
        if (outputs.count(p))
          return invalid("mirror " + m.name + ": port " + p + " is the output of another mirror");
  return std::nullopt;
}

void forget_port_in_mirrors(BridgeConfig& b, const std::string& port) {
  std::erase_if(b.mirrors, [&](MirrorSpec& m) {
    if (m.output_port == port) return true;
    if (m.select_all()) return false;  // every port: one fewer
    std::erase(m.select_src, port);
    std::erase(m.select_dst, port);
    return m.select_all();  // it selected only that port: nothing left (not every port)
  });
}

nlohmann::json mirror_json(const MirrorSpec& m) {
  nlohmann::json j{{"name", m.name},
                   {"select_src_port", m.select_src},
                   {"select_dst_port", m.select_dst},
                   {"select_vlan", m.select_vlan}};
  if (!m.output_port.empty()) j["output_port"] = m.output_port;
  if (!m.output_pcap.empty()) {
    j["output_pcap"] = m.output_pcap;
    j["pcap_max_size_mb"] = m.pcap_max_size_mb;
  }
  return j;
}

Result<MirrorSpec> mirror_from_json(const nlohmann::json& j, const std::string& at) {
  if (!j.is_object()) return invalid(at + ": expected an object");
  static const std::set<std::string> kKeys{
      "name",        "select_src_port", "select_dst_port", "select_vlan",
      "output_port", "output_pcap",     "pcap_max_size_mb"};
  for (const auto& [k, v] : j.items())
    if (!kKeys.count(k)) return invalid(at + ": unknown key \"" + k + "\"");
  MirrorSpec m;
  auto str = [&](const char* key, std::string& out) -> Status {
    if (!j.contains(key)) return std::nullopt;
    if (!j[key].is_string()) return invalid(at + "." + key + ": expected a string");
    out = j[key].get<std::string>();
    return std::nullopt;
  };
  auto names = [&](const char* key, std::vector<std::string>& out) -> Status {
    if (!j.contains(key)) return std::nullopt;
    if (!j[key].is_array()) return invalid(at + "." + key + ": expected an array");
    for (const auto& w : j[key]) {
      if (!w.is_string()) return invalid(at + "." + key + ": expected strings");
      out.push_back(w.get<std::string>());
    }
    return std::nullopt;
  };
  if (!j.contains("name")) return invalid(at + ": missing \"name\"");
  if (auto e = str("name", m.name)) return *e;
  if (auto e = names("select_src_port", m.select_src)) return *e;
  if (auto e = names("select_dst_port", m.select_dst)) return *e;
  if (auto e = str("output_port", m.output_port)) return *e;
  if (auto e = str("output_pcap", m.output_pcap)) return *e;
  if (j.contains("select_vlan")) {
    if (!j["select_vlan"].is_array()) return invalid(at + ".select_vlan: expected an array");
    for (const auto& v : j["select_vlan"]) {
      if (!v.is_number_integer()) return invalid(at + ".select_vlan: expected integers");
      m.select_vlan.push_back(v.get<int>());
    }
  }
  if (j.contains("pcap_max_size_mb")) {
    if (!j["pcap_max_size_mb"].is_number_unsigned())
      return invalid(at + ".pcap_max_size_mb: expected a number of MB");
    m.pcap_max_size_mb = j["pcap_max_size_mb"].get<uint64_t>();
  }
  return m;
}

}  // namespace lvs::ctl
