#include "ctl/rstp_config.hpp"

namespace lvs::ctl {
namespace {

Error bad(const std::string& at, const std::string& key, const std::string& value,
          const std::string& want) {
  return make_error(kErrInvalid, at + "other_config:" + key + " \"" + value + "\" " + want);
}

// A boolean key: "true" / "false"; `def` when unset.
Result<bool> flag(const StringMap& m, const std::string& at, const char* key, bool def) {
  auto it = m.find(key);
  if (it == m.end()) return def;
  if (it->second != "true" && it->second != "false")
    return bad(at, key, it->second, "is not true or false");
  return it->second == "true";
}

// An integer key in [lo, hi] and, when step > 1, a multiple of step.
Result<long long> number(const StringMap& m, const std::string& at, const char* key, long long lo,
                         long long hi, long long step, long long def) {
  auto it = m.find(key);
  if (it == m.end()) return def;
  auto v = parse_int(it->second, lo, hi);
  const std::string range = "is not in " + std::to_string(lo) + ".." + std::to_string(hi);
  if (!v) return bad(at, key, it->second, range + (step > 1 ? " in steps of " + std::to_string(step) : ""));
  if (step > 1 && *v % step != 0)
    return bad(at, key, it->second, "is not a multiple of " + std::to_string(step));
  return *v;
}

}  // namespace

bool is_rstp_bridge_key(const std::string& k) {
  return k == kRstpPriority || k == kRstpAddress || k == kRstpMaxAge || k == kRstpHelloTime ||
         k == kRstpForwardDelay;
}

bool is_rstp_port_key(const std::string& k) {
  return k == kRstpPortPriority || k == kRstpPathCost || k == kRstpAdminEdge ||
         k == kRstpAutoEdge || k == kRstpBpduGuard || k == kRstpRootGuard;
}

bool is_container_port(const PortConfig& p) {
  return p.external_ids.count(kContainerId) || p.external_ids.count("docker_endpoint");
}

Result<RstpBridgeOptions> rstp_bridge_options(const BridgeConfig& b) {
  const std::string at = "bridge " + b.name + ": ";
  const StringMap& m = b.other_config;
  RstpBridgeOptions o;
  auto prio = number(m, at, kRstpPriority, 0, 61440, 4096, 32768);
  if (!prio) return prio.error();
  auto max_age = number(m, at, kRstpMaxAge, 6, 40, 1, 20);
  if (!max_age) return max_age.error();
  auto hello = number(m, at, kRstpHelloTime, 1, 10, 1, 2);
  if (!hello) return hello.error();
  auto fwd = number(m, at, kRstpForwardDelay, 4, 30, 1, 15);
  if (!fwd) return fwd.error();
  // 802.1D-2004 17.14: 2 x (forward delay - 1) >= max age >= 2 x (hello time + 1).
  if (2 * (*fwd - 1) < *max_age)
    return make_error(kErrInvalid, at + "other_config:rstp-max-age " + std::to_string(*max_age) +
                                       " is more than 2 x (rstp-forward-delay " +
                                       std::to_string(*fwd) + " - 1) (802.1D-2004 17.14)");
  if (*max_age < 2 * (*hello + 1))
    return make_error(kErrInvalid, at + "other_config:rstp-max-age " + std::to_string(*max_age) +
                                       " is less than 2 x (rstp-hello-time " +
                                       std::to_string(*hello) + " + 1) (802.1D-2004 17.14)");
  if (auto it = m.find(kRstpAddress); it != m.end()) {
    auto mac = canonical_mac(it->second);
    if (!mac || (std::stoul(mac->substr(0, 2), nullptr, 16) & 1))
      return bad(at, kRstpAddress, it->second, "is not a unicast MAC address");
    o.address = *mac;
  }
  o.priority = static_cast<uint16_t>(*prio);
  o.max_age = static_cast<uint16_t>(*max_age);
  o.hello_time = static_cast<uint16_t>(*hello);
  o.forward_delay = static_cast<uint16_t>(*fwd);
  return o;
}

Result<RstpPortOptions> rstp_port_options(const PortConfig& p) {
  const std::string at = "port " + p.name + ": ";
  const StringMap& m = p.other_config;
  RstpPortOptions o;
  auto prio = number(m, at, kRstpPortPriority, 0, 240, 16, 128);
  if (!prio) return prio.error();
  auto cost = number(m, at, kRstpPathCost, 1, 200'000'000, 1, 20000);
  if (!cost) return cost.error();
  const bool container = is_container_port(p);
  auto admin_edge = flag(m, at, kRstpAdminEdge, container);
  if (!admin_edge) return admin_edge.error();
  auto auto_edge = flag(m, at, kRstpAutoEdge, true);
  if (!auto_edge) return auto_edge.error();
  auto guard = flag(m, at, kRstpBpduGuard, *admin_edge);
  if (!guard) return guard.error();
  auto root_guard = flag(m, at, kRstpRootGuard, false);
  if (!root_guard) return root_guard.error();
  o.priority = static_cast<uint8_t>(*prio);
  o.path_cost = static_cast<uint32_t>(*cost);
  o.admin_edge = *admin_edge;
  o.auto_edge = *auto_edge;
  o.bpdu_guard = *guard;
  o.root_guard = *root_guard;
  return o;
}

}  // namespace lvs::ctl
