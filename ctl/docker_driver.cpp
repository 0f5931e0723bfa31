#include "ctl/docker_driver.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <map>

#include "ctl/ipam.hpp"
#include "ctl/link_ops.hpp"
#include "ctl/rate_spec.hpp"

namespace lvs::ctl {
namespace {

using nlohmann::json;
using Chain = std::vector<std::vector<std::string>>;

constexpr const char* kGenericOptions = "com.docker.network.generic";
constexpr const char* kOptPrefix = "lite-vswitch.";
constexpr const char* kInternalOption = "com.docker.network.internal";  // docker network create --internal
// Docker's bridge driver's options (what docker0 users write) and the lite-vswitch.* key each is.
const std::map<std::string, std::string> kBridgeDriverOptions = {
    {"com.docker.network.bridge.name", "bridge"},
    {"com.docker.network.bridge.enable_icc", "icc"},
    {"com.docker.network.bridge.enable_ip_masquerade", "nat"},
    {"com.docker.network.driver.mtu", "mtu"},
};
constexpr int kFirstEphemeralPort = 49153;

DockerReply fail(int status, const std::string& message) {
  return DockerReply{status, json{{"Err", "lite-vswitch: " + message}}};
}
DockerReply bad(const std::string& message) { return fail(400, message); }
DockerReply ok(json body = json::object()) { return DockerReply{200, std::move(body)}; }

std::string short_id(const std::string& id) {
  std::string s = id.substr(0, 12);
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// A Docker id: 12..128 letters and digits (64 hex in practice).
Result<std::string> id_field(const json& r, const char* key) {
  if (!r.is_object() || !r.contains(key) || !r[key].is_string())
    return make_error(kErrBadRequest, std::string("missing string \"") + key + "\"");
  const std::string id = r[key].get<std::string>();
  if (id.size() < 12 || id.size() > 128 || !std::all_of(id.begin(), id.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c));
      }))
    return make_error(kErrBadRequest, std::string(key) + " \"" + id + "\" is not a Docker id");
  return id;
}

std::string str_or(const json& r, const char* key, const std::string& def = "") {
  return r.is_object() && r.contains(key) && r[key].is_string() ? r[key].get<std::string>() : def;
}

// The network's gateway port and bridge, or nullptr.
struct NetworkRef {
  const BridgeConfig* bridge = nullptr;
  const PortConfig* gateway = nullptr;
};
NetworkRef find_network(const Config& c, const std::string& nid) {
  const std::string gw = docker_gateway_port(nid);
  const BridgeConfig* b = c.bridge_of_port(gw);
  if (!b) return {};
  const PortConfig* p = b->find_port(gw);
  auto it = p->external_ids.find(kDockerNetwork);
  if (it == p->external_ids.end() || it->second != nid) return {};
  return {b, p};
}

const PortConfig* find_endpoint(const Config& c, const std::string& eid) {
  const std::string host = docker_host_veth(eid);
  const BridgeConfig* b = c.bridge_of_port(host);
  if (!b) return nullptr;
  const PortConfig* p = b->find_port(host);
  auto it = p->external_ids.find(kDockerEndpoint);
  return it != p->external_ids.end() && it->second == eid ? p : nullptr;
}

std::string ext(const PortConfig& p, const char* key) {
  auto it = p.external_ids.find(key);
  return it == p.external_ids.end() ? "" : it->second;
}

std::optional<Ipv4Prefix> gateway_of(const PortConfig& gw) {
  auto it = gw.options.find(kIpOption);
  if (it == gw.options.end()) return std::nullopt;
  return parse_ipv4_prefix(it->second);
}

std::string vlan_of(const PortConfig& p) { return std::to_string(p.tag.value_or(0)); }

std::string pool_name(const Ipv4Prefix& p) {
  return "docker-" + format_ipv4(p.network()) + "-" + std::to_string(p.prefix);
}

// "A" or "A/P" of Docker's address fields.
std::optional<uint32_t> address_of(const std::string& text) {
  return parse_ipv4(text.substr(0, text.find('/')));
}

}  // namespace

std::string docker_gateway_port(const std::string& nid) { return "lvg" + short_id(nid); }
std::string docker_bridge(const std::string& nid) { return "lvb" + short_id(nid); }
std::string docker_host_veth(const std::string& eid) { return "lvh" + short_id(eid); }
std::string docker_container_veth(const std::string& eid) { return "lvc" + short_id(eid); }

Result<json> DockerDriver::transact(const Chain& chain) {
  const json reply =
      service_.handle({{"id", 0}, {"method", "transact"}, {"params", {{"commands", chain}}}});
  if (reply.contains("error"))
    return make_error(reply["error"].value("code", std::string(kErrInvalid)),
                      reply["error"].value("message", std::string("refused")));
  return reply["result"]["outputs"];
}

DockerReply DockerDriver::handle(const std::string& method, const json& r) {
  if (method == "Plugin.Activate") return ok({{"Implements", {"NetworkDriver", "IpamDriver"}}});
  if (method == "NetworkDriver.GetCapabilities")
    return ok({{"Scope", "local"}, {"ConnectivityScope", "local"}});
  if (method == "NetworkDriver.CreateNetwork") return create_network(r);
  if (method == "NetworkDriver.DeleteNetwork") return delete_network(r);
  if (method == "NetworkDriver.CreateEndpoint") return create_endpoint(r);
  if (method == "NetworkDriver.DeleteEndpoint") return delete_endpoint(r);
  if (method == "NetworkDriver.Join") return join(r);
  if (method == "NetworkDriver.Leave") return leave(r);
  if (method == "NetworkDriver.EndpointOperInfo") return endpoint_info(r);
  if (method == "NetworkDriver.ProgramExternalConnectivity") return program_external(r);
  if (method == "NetworkDriver.RevokeExternalConnectivity") return revoke_external(r);
  // Discovery events of other nodes: a local-scope driver has nothing to do with them.
  if (method == "NetworkDriver.DiscoverNew" || method == "NetworkDriver.DiscoverDelete")
    return ok();
  if (method == "NetworkDriver.AllocateNetwork" || method == "NetworkDriver.FreeNetwork")
    return bad(method + " is for swarm (global scope) networks; lite-vswitch is local scope");
  if (method == "IpamDriver.GetCapabilities")
    return ok({{"RequiresMACAddress", false}, {"RequiresRequestReplay", false}});
  if (method == "IpamDriver.GetDefaultAddressSpaces")
    return ok({{"LocalDefaultAddressSpace", "lite-vswitch-local"},
               {"GlobalDefaultAddressSpace", "lite-vswitch-global"}});
  if (method == "IpamDriver.RequestPool") return request_pool(r);
  if (method == "IpamDriver.ReleasePool") return release_pool(r);
  if (method == "IpamDriver.RequestAddress") return request_address(r);
  if (method == "IpamDriver.ReleaseAddress") return release_address(r);
  return fail(404, "unknown method " + method);
}

DockerReply DockerDriver::create_network(const json& r) {
  auto nid = id_field(r, "NetworkID");
  if (!nid) return bad(nid.error().message);
  const Config& c = service_.config();
  if (find_network(c, *nid).gateway) return ok();  // Docker retried: it is there already
  // -o lite-vswitch.KEY=VALUE, or the bridge driver's name for the same thing.
  std::string bridge = docker_bridge(*nid), vlan = "0", icc = "true", nat = "true", mtu, rate;
  std::map<std::string, std::string> given;  // key -> the option that set it
  const json opts = r.contains("Options") && r["Options"].is_object() ? r["Options"] : json::object();
  if (opts.contains(kGenericOptions)) {
    const json& g = opts[kGenericOptions];
    if (!g.is_object()) return bad(std::string(kGenericOptions) + ": expected an object");
    for (const auto& [k, v] : g.items()) {
      std::string key;
      if (k.rfind(kOptPrefix, 0) == 0)
        key = k.substr(std::string(kOptPrefix).size());
      else if (auto it = kBridgeDriverOptions.find(k); it != kBridgeDriverOptions.end())
        key = it->second;
      else
        continue;  // another driver's option
      const std::string val = v.is_string() ? v.get<std::string>() : v.dump();
      if (auto [at, fresh] = given.emplace(key, k); !fresh)
        return bad("-o " + k + " and -o " + at->second + " both set the network's " + key);
      if (key == "bridge") {
        if (auto e = validate_name("bridge", val)) return bad("-o " + k + ": " + e->message);
        bridge = val;
      } else if (key == "vlan") {
        if (!parse_int(val, 0, 4094))
          return bad("-o " + k + ": \"" + val + "\" is not a VLAN id (0..4094)");
        vlan = std::to_string(*parse_int(val, 0, 4094));
      } else if (key == "icc" || key == "nat") {
        if (val != "true" && val != "false")
          return bad("-o " + k + ": \"" + val + "\" is not true or false");
        (key == "icc" ? icc : nat) = val;
      } else if (key == "mtu") {
        if (!parse_int(val, 68, 65535))
          return bad("-o " + k + ": \"" + val + "\" is not an MTU (68..65535)");
        mtu = val;
      } else if (key == "rate") {
        auto limits = parse_rate_spec("-o " + k, val);
        if (!limits) return bad(limits.error().message);
        rate = format_rate_spec(*limits);
      } else {
        return bad("-o " + k +
                   ": unknown option (known: lite-vswitch.bridge, vlan, icc, nat, mtu, rate)");
      }
    }
  }
  // --internal (docker0's isolation): no default route, no masquerade, no forwarding out.
  const bool internal = opts.contains(kInternalOption) && opts[kInternalOption] == true;
  if (internal && nat == "true" && given.count("nat"))
    return bad("-o " + given["nat"] + "=true: an --internal network has no NAT");
  if (internal) nat = "false";
  if (!r.contains("IPv4Data") || !r["IPv4Data"].is_array() || r["IPv4Data"].empty())
    return bad("the network needs an IPv4 subnet (IPv4Data is empty)");
  if (r["IPv4Data"].size() > 1)
    return bad("one IPv4 subnet per network (IPv4Data has " + std::to_string(r["IPv4Data"].size()) +
               ")");
  if (r.contains("IPv6Data") && r["IPv6Data"].is_array() && !r["IPv6Data"].empty())
    return bad("IPv6 is not supported (IPv6Data is not empty)");
  const json& v4 = r["IPv4Data"][0];
  auto gw = parse_ipv4_prefix(str_or(v4, "Gateway"));
  auto pool = parse_ipv4_prefix(str_or(v4, "Pool"));
  if (!pool) return bad("IPv4Data Pool \"" + str_or(v4, "Pool") + "\" is not A/P");
  if (!gw)
    return bad("IPv4Data Gateway \"" + str_or(v4, "Gateway") +
               "\" is not A/P (the network needs a gateway)");
  if (gw->prefix != pool->prefix || !pool->contains(gw->addr))
    return bad("gateway " + str_or(v4, "Gateway") + " is not inside pool " + str_or(v4, "Pool"));
  // One network per (bridge, VLAN): a second would share its L2 segment. Masquerade is the
  // bridge's: an --internal network and one with NAT cannot share a bridge.
  if (const BridgeConfig* b = c.find_bridge(bridge)) {
    for (const auto& p : b->ports) {
      if (ext(p, kDockerNetwork).empty() || p.type != "internal") continue;
      if (vlan_of(p) == vlan)
        return fail(409, "bridge " + bridge + " VLAN " + vlan + " already carries network " +
                             ext(p, kDockerNetwork).substr(0, 12) +
                             " (use -o lite-vswitch.vlan=N)");
      if (nat == "true" && ext(p, kDockerInternal) == "true")
        return fail(409, "bridge " + bridge + " carries --internal network " +
                             ext(p, kDockerNetwork).substr(0, 12) +
                             ": a network with NAT needs another bridge");
    }
    if (internal && b->nat())
      return fail(409, "bridge " + bridge +
                           " masquerades (other_config:nat=true): an --internal network needs "
                           "another bridge");
  }
  const std::string port = docker_gateway_port(*nid);
  const std::string ip = format_ipv4(gw->addr) + "/" + std::to_string(gw->prefix);
  Chain chain = {{"--may-exist", "add-br", bridge}};
  if (!c.find_bridge(bridge))
    chain.push_back({"set", "Bridge", bridge,
                     std::string("external_ids:") + kDockerCreatedBridge + "=" + *nid});
  std::vector<std::string> add = {"add-port",
                                  bridge,
                                  port,
                                  "type=internal",
                                  "options:ip=" + ip,
                                  "vlan_mode=access",
                                  "tag=" + vlan,
                                  std::string("external_ids:") + kDockerNetwork + "=" + *nid,
                                  std::string("external_ids:") + kDockerIcc + "=" + icc};
  if (internal) add.push_back(std::string("external_ids:") + kDockerInternal + "=true");
  if (!mtu.empty()) {
    add.push_back("mtu_request=" + mtu);
    add.push_back(std::string("external_ids:") + kDockerMtu + "=" + mtu);
  }
  if (!rate.empty()) add.push_back(std::string("external_ids:") + kDockerRate + "=" + rate);
  chain.push_back(add);
  if (nat == "true")
    chain.push_back({"set", "Bridge", bridge, std::string("other_config:") + kNat + "=true"});
  if (auto out = transact(chain); !out) return fail(500, out.error().message);
  return ok();
}

DockerReply DockerDriver::delete_network(const json& r) {
  auto nid = id_field(r, "NetworkID");
  if (!nid) return bad(nid.error().message);
  const Config& c = service_.config();
  const NetworkRef n = find_network(c, *nid);
  if (!n.gateway) return ok();  // gone already: deleting twice is not an error
  Chain chain;
  std::vector<std::string> veths;
  size_t left = 0;
  for (const auto& p : n.bridge->ports) {
    if (p.name == n.bridge->name) continue;
    if (ext(p, kDockerNetwork) == *nid) {
      chain.push_back({"del-port", n.bridge->name, p.name});
      if (p.type != "internal") veths.push_back(p.name);
    } else {
      ++left;
    }
  }
  auto created = n.bridge->external_ids.find(kDockerCreatedBridge);
  // A bridge the plugin made goes with the last network on it.
  if (left == 0 && created != n.bridge->external_ids.end()) chain = {{"del-br", n.bridge->name}};
  if (auto out = transact(chain); !out) return fail(500, out.error().message);
  for (const auto& v : veths) delete_link(v);
  return ok();
}

DockerReply DockerDriver::create_endpoint(const json& r) {
  auto nid = id_field(r, "NetworkID");
  if (!nid) return bad(nid.error().message);
  auto eid = id_field(r, "EndpointID");
  if (!eid) return bad(eid.error().message);
  const Config& c = service_.config();
  const NetworkRef n = find_network(c, *nid);
  if (!n.gateway) return fail(404, "no network " + *nid + " on this switch");
  const json iface =
      r.contains("Interface") && r["Interface"].is_object() ? r["Interface"] : json::object();
  const std::string addr_text = str_or(iface, "Address");
  auto addr = parse_ipv4_prefix(addr_text);
  if (!addr)
    return bad("Interface.Address \"" + addr_text + "\" is not A/P (an IPv4 address is required)");
  if (!str_or(iface, "AddressIPv6").empty())
    return bad("IPv6 is not supported (Interface.AddressIPv6)");
  const std::string given_mac = str_or(iface, "MacAddress");
  std::string mac = docker_mac(addr->addr);
  if (!given_mac.empty()) {
    auto m = canonical_mac(given_mac);
    if (!m) return bad("Interface.MacAddress \"" + given_mac + "\" is not a MAC address");
    mac = *m;
  }
  const json reply =
      given_mac.empty() ? json{{"Interface", {{"MacAddress", mac}}}} : json::object();
  if (find_endpoint(c, *eid)) return ok(reply);  // a retry
  // Limits: the network's -o lite-vswitch.rate, or the endpoint's own (--driver-opt).
  std::string rate_text = ext(*n.gateway, kDockerRate);
  std::string rate_what = "network option lite-vswitch.rate";
  if (r.contains("Options") && r["Options"].is_object() &&
      r["Options"].contains(std::string(kOptPrefix) + "rate")) {
    const json& v = r["Options"][std::string(kOptPrefix) + "rate"];
    rate_text = v.is_string() ? v.get<std::string>() : v.dump();
    rate_what = "--driver-opt lite-vswitch.rate";
  }
  PortRateLimits limits;
  if (!rate_text.empty()) {
    auto parsed = parse_rate_spec(rate_what, rate_text);
    if (!parsed) return bad(parsed.error().message);
    limits = *parsed;
  }
  const std::string host = docker_host_veth(*eid), peer = docker_container_veth(*eid);
  std::optional<int> mtu;
  if (auto m = parse_int(ext(*n.gateway, kDockerMtu), 68, 65535)) mtu = static_cast<int>(*m);
  // Both ends here, in dockerd's namespace (ours): Docker moves the peer into the container.
  if (link_exists(host)) delete_link(host);  // a leftover of a crash between veth and commit
  const int self = ::open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
  if (self < 0) return fail(500, "cannot open /proc/self/ns/net");
  const Status made = create_veth(host, peer, self, mtu, mac);
  ::close(self);
  if (made) return fail(500, made->message);
  if (auto e = configure_port_end(host, mtu)) {
    delete_link(host);
    return fail(500, e->message);
  }
  std::vector<std::string> add = {"add-port",
                                  n.bridge->name,
                                  host,
                                  "vlan_mode=access",
                                  "tag=" + vlan_of(*n.gateway),
                                  std::string("external_ids:") + kDockerEndpoint + "=" + *eid,
                                  std::string("external_ids:") + kDockerNetwork + "=" + *nid,
                                  std::string("external_ids:") + kContainerIp + "=" +
                                      format_ipv4(addr->addr) + "/" + std::to_string(addr->prefix)};
  if (ext(*n.gateway, kDockerIcc) == "false") add.push_back("protected=true");
  Chain endpoint = {add};
  if (limits.any())
    for (auto& command : rate_limit_commands(host, limits)) endpoint.push_back(std::move(command));
  if (auto out = transact(endpoint); !out) {
    delete_link(host);
    return fail(500, out.error().message);
  }
  return ok(reply);
}

DockerReply DockerDriver::delete_endpoint(const json& r) {
  auto eid = id_field(r, "EndpointID");
  if (!eid) return bad(eid.error().message);
  const std::string host = docker_host_veth(*eid);
  if (find_endpoint(service_.config(), *eid))
    if (auto out = transact({{"--if-exists", "del-port", host}}); !out)
      return fail(500, out.error().message);
  delete_link(host);
  return ok();
}

DockerReply DockerDriver::join(const json& r) {
  auto nid = id_field(r, "NetworkID");
  if (!nid) return bad(nid.error().message);
  auto eid = id_field(r, "EndpointID");
  if (!eid) return bad(eid.error().message);
  const Config& c = service_.config();
  const NetworkRef n = find_network(c, *nid);
  if (!n.gateway) return fail(404, "no network " + *nid + " on this switch");
  if (!find_endpoint(c, *eid)) return fail(404, "no endpoint " + *eid + " on this switch");
  const std::string sandbox = str_or(r, "SandboxKey");
  if (sandbox.empty() || sandbox.size() > 4096 ||
      sandbox.find_first_of(" \n\"") != std::string::npos)
    return bad("SandboxKey \"" + sandbox + "\" is not a namespace path");
  // Read from the configuration before the transaction below replaces it (n points into it).
  json body{{"InterfaceName", {{"SrcName", docker_container_veth(*eid)}, {"DstPrefix", "eth"}}},
            {"DisableGatewayService", false}};
  // An --internal network's containers get no default route (as from docker0's driver).
  if (auto gw = gateway_of(*n.gateway); gw && ext(*n.gateway, kDockerInternal) != "true")
    body["Gateway"] = format_ipv4(gw->addr);
  if (auto out = transact({{"set", "Port", docker_host_veth(*eid),
                            std::string("external_ids:") + kDockerSandbox + "=" + sandbox}});
      !out)
    return fail(500, out.error().message);
  return ok(body);
}

DockerReply DockerDriver::leave(const json& r) {
  auto eid = id_field(r, "EndpointID");
  if (!eid) return bad(eid.error().message);
  if (find_endpoint(service_.config(), *eid))
    if (auto out =
            transact({{"remove", "Port", docker_host_veth(*eid), "external_ids", kDockerSandbox}});
        !out)
      return fail(500, out.error().message);
  return ok();
}

DockerReply DockerDriver::endpoint_info(const json& r) {
  auto eid = id_field(r, "EndpointID");
  if (!eid) return bad(eid.error().message);
  const Config& c = service_.config();
  const PortConfig* p = find_endpoint(c, *eid);
  if (!p) return fail(404, "no endpoint " + *eid + " on this switch");
  json v{
      {"port", p->name}, {"bridge", c.bridge_of_port(p->name)->name}, {"vlan", p->tag.value_or(0)}};
  if (auto pub = ext(*p, kPublish); !pub.empty()) v["publish"] = pub;
  return ok({{"Value", v}});
}

DockerReply DockerDriver::program_external(const json& r) {
  auto eid = id_field(r, "EndpointID");
  if (!eid) return bad(eid.error().message);
  const Config& c = service_.config();
  const PortConfig* p = find_endpoint(c, *eid);
  if (!p) return fail(404, "no endpoint " + *eid + " on this switch");
  const json opts =
      r.contains("Options") && r["Options"].is_object() ? r["Options"] : json::object();
  const json map = opts.contains("com.docker.network.portmap") ? opts["com.docker.network.portmap"]
                                                               : json::array();
  if (!map.is_array() && !map.is_null())
    return bad("com.docker.network.portmap: expected an array");
  // Host ports other ports publish already, so that -P (HostPort 0) and a range
  // (-p 8000-8010:80: HostPort..HostPortEnd) pick a free one.
  std::vector<PublishedPort> taken;
  for (const auto& b : c.bridges)
    for (const auto& port : b.ports)
      if (port.name != p->name)
        if (auto list = parse_publish_list(ext(port, kPublish)))
          taken.insert(taken.end(), list->begin(), list->end());
  auto is_taken = [&](const PublishedPort& want) {
    return std::any_of(taken.begin(), taken.end(),
                       [&](const PublishedPort& t) { return same_host_port(want, t); });
  };
  auto int_or = [](const json& m, const char* key, int def) {
    return m.contains(key) && m[key].is_number_integer() ? m[key].get<int>() : def;
  };
  std::string publish;
  if (map.is_array())
    for (const auto& m : map) {
      if (!m.is_object() || !m.contains("Port") || !m["Port"].is_number_integer())
        return bad("com.docker.network.portmap: an entry without an integer Port: " + m.dump());
      PublishedPort want;
      const int proto = m.value("Proto", 6);
      if (proto != 6 && proto != 17)
        return bad("port mapping protocol " + std::to_string(proto) + " (only tcp and udp)");
      want.proto = proto == 6 ? "tcp" : "udp";
      want.container_port = m["Port"].get<int>();
      // -p 127.0.0.1:8080:80 publishes on that address only ("" and 0.0.0.0: on every one).
      if (const std::string host_ip = str_or(m, "HostIP"); !host_ip.empty() && host_ip != "0.0.0.0") {
        auto ip = parse_ipv4(host_ip);
        if (!ip)
          return bad("port mapping " + m.dump() + ": HostIP " + host_ip +
                     " is not an IPv4 address (the switch publishes IPv4 only)");
        want.host_ip = *ip;
      }
      int first = int_or(m, "HostPort", 0), last = int_or(m, "HostPortEnd", first);
      if (first == 0) first = kFirstEphemeralPort, last = 65535;
      if (want.container_port < 1 || want.container_port > 65535 || first < 1 || last > 65535 ||
          last < first)
        return bad("port mapping " + m.dump() + ": ports must be in 1..65535");
      for (want.host_port = first; want.host_port <= last && is_taken(want); ++want.host_port) {
      }
      if (want.host_port > last && first == last)
        return fail(409, "host port " + std::to_string(first) + "/" + want.proto +
                             " is already published");
      if (want.host_port > last)
        return fail(409, "no free host port in " + std::to_string(first) + "-" +
                             std::to_string(last) + " for " +
                             std::to_string(want.container_port) + "/" + want.proto);
      taken.push_back(want);
      publish += (publish.empty() ? "" : ",") + format_published_port(want);
    }
  Chain chain;
  if (publish.empty())
    chain.push_back({"remove", "Port", p->name, "external_ids", kPublish});
  else
    chain.push_back(
        {"set", "Port", p->name, std::string("external_ids:") + kPublish + "=" + publish});
  if (auto out = transact(chain); !out) return fail(409, out.error().message);
  return ok();
}

DockerReply DockerDriver::revoke_external(const json& r) {
  auto eid = id_field(r, "EndpointID");
  if (!eid) return bad(eid.error().message);
  if (const PortConfig* p = find_endpoint(service_.config(), *eid))
    if (auto out = transact({{"remove", "Port", p->name, "external_ids", kPublish}}); !out)
      return fail(500, out.error().message);
  return ok();
}

DockerReply DockerDriver::request_pool(const json& r) {
  if (!r.is_object()) return bad("expected a JSON object");
  if (r.value("V6", false)) return bad("IPv6 pools are not supported");
  if (!str_or(r, "SubPool").empty()) return bad("SubPool (--ip-range) is not supported");
  const Config& c = service_.config();
  const std::string want = str_or(r, "Pool");
  Ipv4Prefix subnet;
  if (want.empty()) {
    auto s = ipam_free_default_subnet(c);
    if (!s) return fail(409, s.error().message);
    subnet = *s;
  } else {
    auto s = parse_ipv4_prefix(want);
    if (!s) return bad("Pool \"" + want + "\" is not an IPv4 subnet A/P");
    subnet = Ipv4Prefix{s->network(), s->prefix};
  }
  const std::string name = pool_name(subnet);
  const std::string cidr = format_ipv4(subnet.addr) + "/" + std::to_string(subnet.prefix);
  // The same subnet again is a retry only while no address was handed out from it.
  if (auto v = find_pool(c, name); v && !v->implicit) {
    if (auto show = ipam_show(c, name); show && !(*show)["leases"].empty())
      return fail(409, "subnet " + cidr + " is in use by another network (pool " + name + ")");
    return ok({{"PoolID", name}, {"Pool", cidr}, {"Data", json::object()}});
  }
  if (auto out = transact({{"ipam/add-pool", name, cidr}}); !out)
    return fail(409, out.error().message);
  return ok({{"PoolID", name}, {"Pool", cidr}, {"Data", json::object()}});
}

DockerReply DockerDriver::release_pool(const json& r) {
  const std::string id = str_or(r, "PoolID");
  if (id.empty()) return bad("missing string \"PoolID\"");
  if (auto out = transact({{"--if-exists", "ipam/del-pool", id}}); !out)
    return fail(409, out.error().message);
  return ok();
}

DockerReply DockerDriver::request_address(const json& r) {
  const std::string id = str_or(r, "PoolID");
  if (id.empty()) return bad("missing string \"PoolID\"");
  const Config& c = service_.config();
  auto view = find_pool(c, id);
  if (!view) return fail(404, view.error().message);
  const std::string want = str_or(r, "Address");
  uint32_t addr = 0;
  if (!want.empty()) {
    auto a = address_of(want);
    if (!a) return bad("Address \"" + want + "\" is not an IPv4 address");
    addr = *a;
  } else {
    auto next = ipam_next_free(c, id);
    if (!next) return fail(409, next.error().message);
    addr = *next;
  }
  // The gateway (RequestAddressType com.docker.network.gateway) is leased like any address.
  const std::string a = format_ipv4(addr);
  auto out = transact({{"ipam/alloc", id, "docker:" + a, a}});
  if (!out) return fail(409, out.error().message);
  return ok({{"Address", (*out)[0]["address"]}, {"Data", json::object()}});
}

DockerReply DockerDriver::release_address(const json& r) {
  const std::string id = str_or(r, "PoolID");
  auto a = address_of(str_or(r, "Address"));
  if (id.empty() || !a) return bad("expected PoolID and an IPv4 Address");
  if (auto out = transact({{"--if-exists", "ipam/release", id, "docker:" + format_ipv4(*a)}}); !out)
    return fail(409, out.error().message);
  return ok();
}

}  // namespace lvs::ctl
