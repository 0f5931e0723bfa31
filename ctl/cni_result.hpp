#pragma once
// CNI results (SPEC.md section 5) as this plugin reads and writes them: what an IPAM plugin
// returns (ips without `interface`, routes, dns), and the ADD result built on it — interfaces
// [bridge, host veth, container interface with `sandbox`], every ip's `interface` the index of
// the container interface, routes and dns. IPv4 only (the switch's addresses are).
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "ctl/cni_error.hpp"
#include "ctl/config.hpp"

namespace lvs::ctl::cni {

struct IpConfig {
  Ipv4Prefix address;
  std::optional<uint32_t> gateway;
  std::optional<size_t> interface;  // index into interfaces (ADD results, not IPAM ones)
};
struct Route {
  Ipv4Prefix dst;
  std::optional<uint32_t> gw;
};
struct Interface {
  std::string name, mac, sandbox;
};
struct NetResult {
  std::vector<Interface> interfaces;
  std::vector<IpConfig> ips;
  std::vector<Route> routes;
  nlohmann::json dns;  // null: none
};

// Reads a result of spec 0.3.0 or later (an IPAM plugin's or a prevResult); code 7 naming what
// is malformed, code 2 for what this plugin cannot apply (IPv6, route mtu/table/...).
CniResult<NetResult> parse_result(const nlohmann::json& j);
// The JSON of `r` at `cni_version`, keys exactly as the spec names them.
nlohmann::json result_json(const NetResult& r, const std::string& cni_version);

}  // namespace lvs::ctl::cni
