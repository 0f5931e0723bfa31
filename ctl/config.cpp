#include "ctl/config.hpp"

#include "ctl/cluster/cluster_config.hpp"
#include "ctl/rstp_config.hpp"

#include "ctl/ipam.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <map>
#include <set>

#include "ctl/kinds/builtin_kinds.hpp"

namespace lvs::ctl {
namespace {

const std::set<std::string> kVlanModes = {"access", "trunk", "native-tagged", "native-untagged"};

Error invalid(std::string message) { return make_error(kErrInvalid, std::move(message)); }

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
std::optional<uint64_t> PortConfig::storm_pps(const char* key) const {
  auto it = other_config.find(key);
  if (it == other_config.end()) return std::nullopt;
  auto v = parse_int(it->second, 0, static_cast<long long>(kMaxStormPps));
  if (!v) return std::nullopt;
  return static_cast<uint64_t>(*v);
}

uint64_t PortConfig::egress_kbit(const char* key) const {
  auto it = other_config.find(key);
  if (it == other_config.end()) return 0;
  return static_cast<uint64_t>(
      parse_int(it->second, 0, static_cast<long long>(kMaxRateKbps)).value_or(0));
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

bool BridgeConfig::nat() const {
  auto it = other_config.find(kNat);
  return it != other_config.end() && it->second == "true";
}

bool Config::pmd_sleep_adaptive() const {
  auto it = other_config.find(kPmdSleep);
  return it == other_config.end() || it->second != "off";
}
bool Config::big_tcp() const {
  auto it = other_config.find("big-tcp");
  return it == other_config.end() || it->second != "false";
}
bool Config::kernel_tunnels() const {
  auto it = other_config.find("kernel-tunnels");
  return it == other_config.end() || it->second != "false";
}
uint32_t Config::pmd_quiet_us() const {
  auto it = other_config.find(kPmdQuietUs);
  if (it == other_config.end()) return kDefaultQuietUs;
  return static_cast<uint32_t>(
      parse_int(it->second, kMinQuietUs, kMaxQuietUs).value_or(kDefaultQuietUs));
}

const PortConfig* BridgeConfig::local_port() const {
  const PortConfig* p = find_port(name);
  return p && p->type == kInternalPort.name ? p : nullptr;
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
  br.other_config[kNat] = "true";
  PortConfig gw = local_port_config(br.name);
  gw.options[kIpOption] = "172.17.0.1/16";
  br.ports.push_back(std::move(gw));
  c.bridges.push_back(std::move(br));
  return c;
}

PortConfig local_port_config(const std::string& bridge) {
  PortConfig p;
  p.name = bridge;
  p.type = kInternalPort.name;
  return p;
}

std::optional<uint32_t> parse_ipv4(const std::string& text) {
  // inet_pton alone accepts only dotted quads, which is what we want (no "10.1" shorthands).
  in_addr a{};
  if (text.empty() || text.size() > 15 || inet_pton(AF_INET, text.c_str(), &a) != 1) return std::nullopt;
  return ntohl(a.s_addr);
}

std::string format_ipv4(uint32_t addr) {
  return std::to_string(addr >> 24) + "." + std::to_string((addr >> 16) & 255) + "." +
         std::to_string((addr >> 8) & 255) + "." + std::to_string(addr & 255);
}

std::optional<Ipv4Prefix> parse_ipv4_prefix(const std::string& text) {
  const size_t slash = text.find('/');
  if (slash == std::string::npos) return std::nullopt;
  auto addr = parse_ipv4(text.substr(0, slash));
  auto prefix = parse_int(text.substr(slash + 1), 0, 32);
  if (!addr || !prefix) return std::nullopt;
  return Ipv4Prefix{*addr, static_cast<int>(*prefix)};
}

Result<std::vector<Ipv4Prefix>> parse_ip_list(const std::string& text) {
  std::vector<Ipv4Prefix> out;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t end = text.find(',', pos);
    if (end == std::string::npos) end = text.size();
    const std::string item = text.substr(pos, end - pos);
    auto p = parse_ipv4_prefix(item);
    if (!p) return invalid("\"" + item + "\" is not ADDRESS/PREFIX (e.g. 172.17.0.1/16)");
    out.push_back(*p);
    pos = end + 1;
  }
  return out;
}

Result<PublishedPort> parse_published_port(const std::string& text) {
  PublishedPort p;
  std::string ports = text;
  if (const size_t slash = text.find('/'); slash != std::string::npos) {
    p.proto = text.substr(slash + 1);
    ports = text.substr(0, slash);
    if (p.proto != "tcp" && p.proto != "udp")
      return invalid("publish \"" + text + "\": protocol \"" + p.proto + "\" is not tcp or udp");
  }
  if (const size_t first = ports.find(':'); first != std::string::npos &&
                                             ports.find(':', first + 1) != std::string::npos) {
    auto ip = parse_ipv4(ports.substr(0, first));
    if (!ip)
      return invalid("publish \"" + text + "\": host address \"" + ports.substr(0, first) +
                     "\" is not an IPv4 address");
    p.host_ip = *ip;
    ports = ports.substr(first + 1);
  }
  const size_t colon = ports.find(':');
  if (colon == std::string::npos)
    return invalid("publish \"" + text + "\" is not [HOSTIP:]HOSTPORT:CONTAINERPORT[/tcp|udp]");
  auto h = parse_int(ports.substr(0, colon), 1, 65535);
  auto c = parse_int(ports.substr(colon + 1), 1, 65535);
  if (!h) return invalid("publish \"" + text + "\": host port \"" + ports.substr(0, colon) + "\" is not in 1..65535");
  if (!c) return invalid("publish \"" + text + "\": container port \"" + ports.substr(colon + 1) + "\" is not in 1..65535");
  p.host_port = static_cast<int>(*h);
  p.container_port = static_cast<int>(*c);
  return p;
}

Result<std::vector<PublishedPort>> parse_publish_list(const std::string& text) {
  std::vector<PublishedPort> out;
  if (text.empty()) return out;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t end = text.find(',', pos);
    if (end == std::string::npos) end = text.size();
    auto p = parse_published_port(text.substr(pos, end - pos));
    if (!p) return p.error();
    out.push_back(*p);
    pos = end + 1;
  }
  return out;
}

std::string format_published_port(const PublishedPort& p) {
  return (p.host_ip ? format_ipv4(p.host_ip) + ":" : "") + std::to_string(p.host_port) + ":" +
         std::to_string(p.container_port) + "/" + p.proto;
}

bool same_host_port(const PublishedPort& a, const PublishedPort& b) {
  return a.host_port == b.host_port && a.proto == b.proto &&
         (a.host_ip == b.host_ip || a.host_ip == 0 || b.host_ip == 0);
}

// Only kinds that can be made: port_kinds() lists each with its descriptor.
bool is_known_port_type(const std::string& type) { return find_port_kind(type) != nullptr; }

std::string effective_type(const PortConfig& port) {
  return port.type.empty() ? std::string(kSystemPort.name) : port.type;
}

bool has_word(std::string_view list, std::string_view word) {
  while (!list.empty()) {
    const size_t space = list.find(' ');
    if (list.substr(0, space) == word) return true;
    list = space == std::string_view::npos ? std::string_view{} : list.substr(space + 1);
  }
  return false;
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
  // A leading '-' reads as an option to vsctl, ip and every script that passes the name on.
  if (name[0] == '-')
    return invalid(what + " name \"" + name + "\" begins with '-' (it would read as an option)");
  // The host's loopback: as a port the switch would capture the host's own local traffic (as
  // a bridge, its internal port would need that name).
  if (name == "lo") return invalid(what + " name \"lo\" is the loopback interface");
  return std::nullopt;
}

Status validate_port(const PortConfig& p) {
  if (auto e = validate_name("port", p.name)) return e;
  const std::string at = "port " + p.name + ": ";
  const PortKind* kind = kind_of(p);
  if (!kind) return invalid(at + "unknown type \"" + p.type + "\"");
  if (p.tag && (*p.tag < 0 || *p.tag > 4095))
    return invalid(at + "tag " + std::to_string(*p.tag) + " is not in 0..4095");
  if (p.tag == 4095) return invalid(at + "tag 4095 is reserved (802.1Q): use 0..4094");
  std::set<int> seen;
  for (int t : p.trunks) {
    if (t < 0 || t > 4095) return invalid(at + "trunks value " + std::to_string(t) + " is not in 0..4095");
    if (t == 4095) return invalid(at + "trunks value 4095 is reserved (802.1Q): use 0..4094");
    if (!seen.insert(t).second) return invalid(at + "trunks value " + std::to_string(t) + " given twice");
  }
  if (!p.vlan_mode.empty() && !kVlanModes.count(p.vlan_mode))
    return invalid(at + "vlan_mode \"" + p.vlan_mode +
                   "\" is not one of access, trunk, native-tagged, native-untagged");
  if (p.mtu_request && (*p.mtu_request < 68 || *p.mtu_request > 65535))
    return invalid(at + "mtu_request " + std::to_string(*p.mtu_request) + " is not in 68..65535");
  for (const auto& [key, value] : p.other_config) {
    if (key == kStormBroadcastPps || key == kStormMulticastPps || key == kStormUnknownUnicastPps) {
      if (!parse_int(value, 0, static_cast<long long>(kMaxStormPps)))
        return invalid(at + "other_config:" + key + " \"" + value + "\" is not in 0.." +
                       std::to_string(kMaxStormPps) + " (frames per second)");
    } else if (key == kEgressRateKbps || key == kEgressBurstKb) {
      if (!parse_int(value, 0, static_cast<long long>(kMaxRateKbps)))
        return invalid(at + "other_config:" + key + " \"" + value + "\" is not in 0.." +
                       std::to_string(kMaxRateKbps) +
                       (key == kEgressRateKbps ? " (kbit/s)" : " (kbit)"));
    } else if (!is_rstp_port_key(key)) {
      return invalid(at + "unknown other_config key \"" + key +
                     "\" (known: storm-broadcast-pps, storm-multicast-pps, "
                     "storm-unknown-unicast-pps, egress-rate-kbps, egress-burst-kb, rstp-*)");
    }
  }
  if (p.ingress_policing_rate > kMaxRateKbps || p.ingress_policing_burst > kMaxRateKbps)
    return invalid(at + "ingress_policing_rate and ingress_policing_burst are at most " +
                   std::to_string(kMaxRateKbps));
  if (auto rstp = rstp_port_options(p); !rstp) return rstp.error();
  if (p.options.count(kIpOption) && !kind->accepts_option(kIpOption))
    return invalid(at + "options:ip is only for internal ports");
  if (auto it = p.external_ids.find(kContainerIp); it != p.external_ids.end())
    if (!parse_ipv4_prefix(it->second))
      return invalid(at + "external_ids:container_ip \"" + it->second + "\" is not ADDRESS/PREFIX");
  if (auto it = p.external_ids.find(kPublish); it != p.external_ids.end()) {
    auto list = parse_publish_list(it->second);
    if (!list) return invalid(at + "external_ids:" + list.error().message);
    if (!list->empty() && !p.external_ids.count(kContainerIp))
      return invalid(at + "external_ids:publish needs external_ids:container_ip (the DNAT target)");
  }
  if (kind->check_options) return kind->check_options(p, at);
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
    } else if (key == kForwardBpdu || key == kNat) {
      if (value != "true" && value != "false")
        return invalid(at + "other_config:" + key + " \"" + value + "\" is not true or false");
    } else if (!is_rstp_bridge_key(key) && !cluster::is_cluster_bridge_key(key)) {
      return invalid(at + "unknown other_config key \"" + key +
                     "\" (known: mac-aging-time, mac-table-size, forward-bpdu, nat, rstp-*, "
                     "cluster-*)");
    }
  }
  if (auto rstp = rstp_bridge_options(b); !rstp) return rstp.error();
  if (auto e = cluster::validate_cluster_bridge(b)) return e;
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
  if (auto e = validate_mirrors(b)) return e;
  return std::nullopt;
}

Status validate_global(const StringMap& other_config) {
  const std::string at = "Open_vSwitch: ";
  for (const auto& [key, value] : other_config) {
    if (key == kPmdSleep) {
      if (value != "off" && value != "adaptive")
        return invalid(at + "other_config:pmd-sleep \"" + value + "\" is not off or adaptive");
    } else if (key == kPmdQuietUs) {
      if (!parse_int(value, kMinQuietUs, kMaxQuietUs))
        return invalid(at + "other_config:pmd-quiet-us \"" + value + "\" is not in " +
                       std::to_string(kMinQuietUs) + ".." + std::to_string(kMaxQuietUs));
    } else if (key == "kernel-offload") {
      if (value != "true" && value != "false")
        return invalid(at + "other_config:kernel-offload \"" + value + "\" is not true or false");
    } else if (key == "kernel-tunnels") {
      if (value != "true" && value != "false")
        return invalid(at + "other_config:kernel-tunnels \"" + value + "\" is not true or false");
    } else if (key == "big-tcp") {
      if (value != "true" && value != "false")
        return invalid(at + "other_config:big-tcp \"" + value + "\" is not true or false");
    } else if (!cluster::is_cluster_global_key(key)) {
      return invalid(at + "unknown other_config key \"" + key +
                     "\" (known: pmd-sleep, pmd-quiet-us, kernel-offload, kernel-tunnels, big-tcp, "
                     "cluster-*)");
    }
  }
  if (auto e = cluster::validate_cluster_global(other_config)) return e;
  return std::nullopt;
}

Status validate(const Config& c) {
  if (auto e = validate_global(c.other_config)) return e;
  if (auto e = validate_ipam(c)) return e;
  std::set<std::string> bridges, ports;
  // A host port is published once per protocol and address (the kernel could DNAT it to only
  // one place); one on every address takes it on all of them.
  std::vector<std::pair<PublishedPort, std::string>> published;
  for (const auto& b : c.bridges)
    for (const auto& p : b.ports)
      if (auto it = p.external_ids.find(kPublish); it != p.external_ids.end())
        if (auto list = parse_publish_list(it->second))
          for (const auto& pp : *list) {
            for (const auto& [other, by] : published)
              if (same_host_port(pp, other))
                return invalid("port " + p.name + ": host port " +
                               (pp.host_ip ? format_ipv4(pp.host_ip) + ":" : "") +
                               std::to_string(pp.host_port) + "/" + pp.proto +
                               " is already published by port " + by);
            published.emplace_back(pp, p.name);
          }
  for (const auto& b : c.bridges) {
    if (auto e = validate_bridge(b)) return e;
    if (!bridges.insert(b.name).second) return invalid("bridge " + b.name + " given twice");
    for (const auto& p : b.ports)
      if (!ports.insert(p.name).second)
        return invalid("port " + p.name + " is on more than one bridge");
  }
  if (auto e = cluster::validate_cluster(c)) return e;
  // A tunnel's underlay port: a port of another bridge that is not a tunnel itself (on the
  // tunnel's own bridge it would also carry the overlay's floods onto the underlay LAN).
  for (const auto& b : c.bridges)
    for (const auto& p : b.ports) {
      const PortKind* kind = kind_of(p);
      const std::string underlay = kind && kind->underlay_port ? kind->underlay_port(p) : "";
      if (underlay.empty()) continue;
      const std::string at = "port " + p.name + ": options:underlay_port " + underlay;
      const BridgeConfig* owner = nullptr;
      const PortConfig* under = nullptr;
      for (const auto& ob : c.bridges)
        for (const auto& op : ob.ports)
          if (op.name == underlay) {
            owner = &ob;
            under = &op;
          }
      if (under == nullptr) return invalid(at + ": no such port");
      if (owner->name == b.name)
        return invalid(at + " is on the tunnel's own bridge " + b.name +
                       " (put the uplink on a bridge of its own)");
      const PortKind* under_kind = kind_of(*under);
      if (under_kind && under_kind->underlay_port) return invalid(at + " is a tunnel itself");
    }
  return std::nullopt;
}

}  // namespace lvs::ctl
