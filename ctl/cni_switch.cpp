#include "ctl/cni_switch.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <map>
#include <set>

#include "ctl/control_client.hpp"

namespace lvs::ctl::cni {
namespace {

using nlohmann::json;

// A daemon in the middle of a restart gets a moment to come back; an answer may take longer
// (opening ports).
constexpr int kConnectMs = 2000;
constexpr int kReplyMs = 20000;

std::string ext(const json& rec, const char* key) {
  if (!rec.contains("external_ids") || !rec["external_ids"].is_object()) return {};
  return rec["external_ids"].value(key, std::string());
}

// Serialises the read-modify-write of a bridge's options:ip between plugins running at once
// for different containers (the runtime may run them in parallel).
class BridgeLock {
 public:
  explicit BridgeLock(const std::string& socket) {
    fd_ = ::open((socket + ".cni.lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd_ >= 0) ::flock(fd_, LOCK_EX);
  }
  ~BridgeLock() {
    if (fd_ >= 0) ::close(fd_);
  }
  BridgeLock(const BridgeLock&) = delete;
  BridgeLock& operator=(const BridgeLock&) = delete;

 private:
  int fd_ = -1;
};

std::string prefix_text(const Ipv4Prefix& p) {
  return format_ipv4(p.addr) + "/" + std::to_string(p.prefix);
}

}  // namespace

CniResult<json> switch_call(const std::string& socket, const Chain& chain) {
  ControlClient c;
  if (auto e = c.connect(socket, kConnectMs))
    return cni_error(kTryAgainLater, "vswitchd is not reachable on " + socket, *e);
  auto reply =
      c.call(json{{"id", 1}, {"method", "transact"}, {"params", {{"commands", chain}}}}, kReplyMs);
  if (!reply)
    return cni_error(kTryAgainLater, "vswitchd does not answer on " + socket, reply.error());
  if (reply->contains("error"))
    return cni_error(kSwitchRefused, "vswitchd refused the request",
                     (*reply)["error"].value("message", std::string("no reason given")));
  return (*reply)["result"]["outputs"];
}

CniStatus switch_ping(const std::string& socket) {
  ControlClient c;
  if (auto e = c.connect(socket, 1000))
    return cni_error(kNotAvailable, "vswitchd is not reachable on " + socket, *e);
  auto r = c.call(json{{"id", 1}, {"method", "ping"}}, 3000);
  if (!r) return cni_error(kNotAvailable, "vswitchd does not answer on " + socket, r.error());
  if (!r->contains("result"))
    return cni_error(kNotAvailable, "vswitchd does not answer pings on " + socket, r->dump());
  return std::nullopt;
}

CniResult<std::vector<PortRecord>> list_ports(const std::string& socket) {
  auto out = switch_call(socket, {{"list", "Bridge"}, {"list", "Interface"}});
  if (!out) return out.error();
  std::map<std::string, std::string> bridge_of;
  for (const auto& b : (*out)[0])
    for (const auto& p : b["ports"]) bridge_of[p.get<std::string>()] = b["name"].get<std::string>();
  std::vector<PortRecord> ports;
  for (const auto& i : (*out)[1]) {
    PortRecord r;
    r.name = i["name"].get<std::string>();
    r.bridge = bridge_of[r.name];
    r.container_id = ext(i, kContainerId);
    r.ifname = ext(i, kContainerIface);
    r.network = ext(i, kCniNetwork);
    if (i.contains("error") && i["error"].is_string()) r.error = i["error"].get<std::string>();
    ports.push_back(r);
  }
  return ports;
}

CniResult<std::string> ensure_bridge(const NetConf& n, const std::optional<Ipv4Prefix>& gateway) {
  BridgeLock lock(n.socket);
  auto out =
      switch_call(n.socket, {{"--may-exist", "add-br", n.bridge}, {"list", "Interface", n.bridge}});
  if (!out) return out.error();
  const json rec = (*out)[1].empty() ? json::object() : (*out)[1][0];
  Chain chain;
  if (gateway) {
    std::string ips;
    if (rec.contains("options") && rec["options"].is_object())
      ips = rec["options"].value(kIpOption, std::string());
    auto list = parse_ip_list(ips);
    bool present = false;
    if (list)
      for (const auto& a : *list)
        present = present || (a.addr == gateway->addr && a.prefix == gateway->prefix);
    if (!present)
      chain.push_back({"set", "Interface", n.bridge,
                       std::string("options:") + kIpOption + "=" + (ips.empty() ? "" : ips + ",") +
                           prefix_text(*gateway)});
  }
  if (n.ip_masq) chain.push_back({"set", "Bridge", n.bridge, "other_config:nat=true"});
  if (!chain.empty())
    if (auto r = switch_call(n.socket, chain); !r) return r.error();
  std::string mac;
  if (rec.contains("mac_in_use") && rec["mac_in_use"].is_string())
    mac = rec["mac_in_use"].get<std::string>();
  return mac;
}

CniStatus add_container_port(const NetConf& n, const Env& env, const std::string& port,
                             const std::string& container_ip) {
  Chain chain = {{"--may-exist", "add-port", n.bridge, port},
                 {"set", "Interface", port, "type=system"}};
  std::string trunks;
  std::set<int> ids;
  for (const auto& [lo, hi] : n.vlan_trunk)
    for (int v = lo; v <= hi; ++v) ids.insert(v);
  for (int v : ids) trunks += (trunks.empty() ? "" : ",") + std::to_string(v);
  if (ids.empty()) {
    chain.push_back(
        {"set", "Port", port, "vlan_mode=access", "tag=" + std::to_string(n.vlan.value_or(0))});
    chain.push_back({"clear", "Port", port, "trunks"});
  } else if (n.vlan) {
    // As the bridge plugin: `vlan` is the untagged native VLAN of a trunk.
    chain.push_back({"set", "Port", port, "vlan_mode=native-untagged",
                     "tag=" + std::to_string(*n.vlan), "trunks=" + trunks});
  } else {
    chain.push_back({"set", "Port", port, "vlan_mode=trunk", "trunks=" + trunks});
    chain.push_back({"clear", "Port", port, "tag"});
  }
  // portIsolation: protected ports reach the gateway and other ports, never each other.
  chain.push_back(
      {"set", "Port", port, std::string("protected=") + (n.port_isolation ? "true" : "false")});
  std::vector<std::string> ids_cmd = {
      "set",
      "Port",
      port,
      std::string("external_ids:") + kContainerId + "=" + env.container_id,
      std::string("external_ids:") + kContainerIface + "=" + env.ifname,
      std::string("external_ids:") + kContainerNetns + "=cni:" + env.netns,
      std::string("external_ids:") + kCniNetwork + "=" + n.name};
  if (!container_ip.empty())
    ids_cmd.push_back(std::string("external_ids:") + kContainerIp + "=" + container_ip);
  chain.push_back(ids_cmd);
  if (container_ip.empty()) chain.push_back({"remove", "Port", port, "external_ids", kContainerIp});
  // The "bandwidth" capability: the port's limits, exactly (none: cleared).
  for (auto& command : rate_limit_commands(port, n.bandwidth)) chain.push_back(std::move(command));
  if (auto r = switch_call(n.socket, chain); !r) return r.error();
  // A port the switch could not open would leave the container cut off behind a success.
  auto st = switch_call(n.socket, {{"get", "Interface", port, "error"}});
  if (st && !st->empty() && (*st)[0].size() == 1 && (*st)[0][0].is_string()) {
    const std::string why = (*st)[0][0].get<std::string>();
    switch_call(n.socket, {{"--if-exists", "del-port", port}});
    return cni_error(kSwitchRefused, "vswitchd cannot open port " + port, why);
  }
  return std::nullopt;
}

}  // namespace lvs::ctl::cni
