#include "ctl/config.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <set>

namespace lvs::ctl {
namespace {

const std::set<std::string> kPortTypes = {"",         "system",        "internal",
                                          "dpdk",     "dpdkvhostuser", "dpdkvhostuserclient",
                                          "afxdp",    "vxlan",         "gre",
                                          "geneve",   "ring"};
const std::set<std::string> kVlanModes = {"access", "trunk", "native-tagged", "native-untagged"};

Error invalid(std::string message) { return make_error(kErrInvalid, std::move(message)); }

bool is_ipv4(const std::string& s) {
  in_addr a{};
  return inet_pton(AF_INET, s.c_str(), &a) == 1;
}

}  // namespace

PortConfig* BridgeConfig::find_port(const std::string& port) {
  for (auto& p : ports)
    if (p.name == port) return &p;
  return nullptr;
}
const PortConfig* BridgeConfig::find_port(const std::string& port) const {
  return const_cast<BridgeConfig*>(this)->find_port(port);
}

uint32_t BridgeConfig::mac_aging_time() const {
  auto it = other_config.find(kMacAgingTime);
  if (it == other_config.end()) return kDefaultAging;
  return static_cast<uint32_t>(parse_int(it->second, kMinAging, kMaxAging).value_or(kDefaultAging));
}
uint32_t BridgeConfig::mac_table_size() const {
  auto it = other_config.find(kMacTableSize);
  if (it == other_config.end()) return kDefaultTableSize;
  return static_cast<uint32_t>(
      parse_int(it->second, kMinTableSize, kMaxTableSize).value_or(kDefaultTableSize));
}
bool BridgeConfig::forward_bpdu() const {
  auto it = other_config.find(kForwardBpdu);
  return it != other_config.end() && it->second == "true";
}

BridgeConfig* Config::find_bridge(const std::string& name) {
  for (auto& b : bridges)
    if (b.name == name) return &b;
  return nullptr;
}
const BridgeConfig* Config::find_bridge(const std::string& name) const {
  return const_cast<Config*>(this)->find_bridge(name);
}
BridgeConfig* Config::bridge_of_port(const std::string& port) {
  for (auto& b : bridges)
    if (b.find_port(port)) return &b;
  return nullptr;
}
const BridgeConfig* Config::bridge_of_port(const std::string& port) const {
  return const_cast<Config*>(this)->bridge_of_port(port);
}

Config default_config() {
  Config c;
  BridgeConfig br;
  br.name = "br0";
  c.bridges.push_back(std::move(br));
  return c;
}

bool is_known_port_type(const std::string& type) { return kPortTypes.count(type) > 0; }

std::string effective_type(const PortConfig& port) {
  return port.type.empty() ? "system" : port.type;
}

std::optional<long long> parse_int(const std::string& text, long long lo, long long hi) {
  long long v = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, v);
  if (text.empty() || ec != std::errc() || ptr != end || v < lo || v > hi) return std::nullopt;
  return v;
}

std::optional<std::string> canonical_mac(const std::string& text) {
  if (text.size() != 17) return std::nullopt;
  std::string out = text;
  for (size_t i = 0; i < out.size(); ++i) {
    if (i % 3 == 2) {
      if (out[i] != ':') return std::nullopt;
    } else {
      if (!std::isxdigit(static_cast<unsigned char>(out[i]))) return std::nullopt;
      out[i] = static_cast<char>(std::tolower(static_cast<unsigned char>(out[i])));
    }
  }
  return out;
}

Status validate_name(const std::string& what, const std::string& name) {
  if (name.empty()) return invalid(what + " name is empty");
  if (name.size() > kMaxNameLength)
    return invalid(what + " name \"" + name + "\" is longer than " +
                   std::to_string(kMaxNameLength) + " characters");
  for (char ch : name) {
    if (!std::isalnum(static_cast<unsigned char>(ch)) && ch != '-' && ch != '_' && ch != '.')
      return invalid(what + " name \"" + name + "\" has an invalid character '" +
                     std::string(1, ch) + "'");
  }
  if (name == "." || name == "..") return invalid(what + " name \"" + name + "\" is reserved");
  return std::nullopt;
}

Status validate_port(const PortConfig& p) {
  if (auto e = validate_name("port", p.name)) return e;
  const std::string at = "port " + p.name + ": ";
  if (!is_known_port_type(p.type)) return invalid(at + "unknown type \"" + p.type + "\"");
  if (p.tag && (*p.tag < 0 || *p.tag > 4095))
    return invalid(at + "tag " + std::to_string(*p.tag) + " is not in 0..4095");
  std::set<int> seen;
  for (int t : p.trunks) {
    if (t < 0 || t > 4095) return invalid(at + "trunks value " + std::to_string(t) + " is not in 0..4095");
    if (!seen.insert(t).second) return invalid(at + "trunks value " + std::to_string(t) + " given twice");
  }
  if (!p.vlan_mode.empty() && !kVlanModes.count(p.vlan_mode))
    return invalid(at + "vlan_mode \"" + p.vlan_mode +
                   "\" is not one of access, trunk, native-tagged, native-untagged");
  if (p.mtu_request && (*p.mtu_request < 68 || *p.mtu_request > 65535))
    return invalid(at + "mtu_request " + std::to_string(*p.mtu_request) + " is not in 68..65535");
  const std::string type = effective_type(p);
  if (type == "dpdk") {
    auto it = p.options.find("dpdk-devargs");
    if (it == p.options.end() || it->second.empty())
      return invalid(at + "type dpdk needs options:dpdk-devargs");
  }
  if (type == "vxlan" || type == "gre" || type == "geneve") {
    auto it = p.options.find("remote_ip");
    if (it == p.options.end()) return invalid(at + "type " + type + " needs options:remote_ip");
    if (!is_ipv4(it->second))
      return invalid(at + "options:remote_ip \"" + it->second + "\" is not an IPv4 address");
    if (auto l = p.options.find("local_ip"); l != p.options.end() && !is_ipv4(l->second))
      return invalid(at + "options:local_ip \"" + l->second + "\" is not an IPv4 address");
    if (auto k = p.options.find("key"); k != p.options.end() && k->second != "flow") {
      const long long max = type == "vxlan" ? (1LL << 24) - 1 : 0xffffffffLL;
      if (!parse_int(k->second, 0, max))
        return invalid(at + "options:key \"" + k->second + "\" is not in 0.." + std::to_string(max));
    }
  }
  return std::nullopt;
}

Status validate_bridge(const BridgeConfig& b) {
  if (auto e = validate_name("bridge", b.name)) return e;
  const std::string at = "bridge " + b.name + ": ";
  for (const auto& [key, value] : b.other_config) {
    if (key == kMacAgingTime) {
      if (!parse_int(value, kMinAging, kMaxAging))
        return invalid(at + "other_config:mac-aging-time \"" + value + "\" is not in " +
                       std::to_string(kMinAging) + ".." + std::to_string(kMaxAging));
    } else if (key == kMacTableSize) {
      if (!parse_int(value, kMinTableSize, kMaxTableSize))
        return invalid(at + "other_config:mac-table-size \"" + value + "\" is not in " +
                       std::to_string(kMinTableSize) + ".." + std::to_string(kMaxTableSize));
    } else if (key == kForwardBpdu) {
      if (value != "true" && value != "false")
        return invalid(at + "other_config:forward-bpdu \"" + value + "\" is not true or false");
    } else {
      return invalid(at + "unknown other_config key \"" + key +
                     "\" (known: mac-aging-time, mac-table-size, forward-bpdu)");
    }
  }
  std::set<std::string> names;
  for (const auto& p : b.ports) {
    if (auto e = validate_port(p)) return e;
    if (!names.insert(p.name).second) return invalid(at + "port " + p.name + " given twice");
  }
  std::set<std::pair<int, std::string>> macs;
  for (const auto& m : b.static_macs) {
    auto mac = canonical_mac(m.mac);
    if (!mac) return invalid(at + "static MAC \"" + m.mac + "\" is not a MAC address");
    if (std::stoul(mac->substr(0, 2), nullptr, 16) & 1)
      return invalid(at + "static MAC " + *mac + " is a multicast address");
    if (m.vlan < 0 || m.vlan > 4095)
      return invalid(at + "static MAC VLAN " + std::to_string(m.vlan) + " is not in 0..4095");
    if (!b.find_port(m.port))
      return invalid(at + "static MAC " + *mac + " names port " + m.port + " which is not on the bridge");
    if (!macs.emplace(m.vlan, *mac).second)
      return invalid(at + "static MAC " + *mac + " on VLAN " + std::to_string(m.vlan) + " given twice");
  }
  return std::nullopt;
}

Status validate(const Config& c) {
  std::set<std::string> bridges, ports;
  for (const auto& b : c.bridges) {
    if (auto e = validate_bridge(b)) return e;
    if (!bridges.insert(b.name).second) return invalid("bridge " + b.name + " given twice");
    for (const auto& p : b.ports)
      if (!ports.insert(p.name).second)
        return invalid("port " + p.name + " is on more than one bridge");
  }
  return std::nullopt;
}

}  // namespace lvs::ctl
