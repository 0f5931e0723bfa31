#pragma once
// Docker's libnetwork remote NetworkDriver and IpamDriver, answered from the switch's own state.
// Runs on the daemon's control thread only (docker_plugin.hpp hands each HTTP call over): every
// change is one transaction of vsctl commands through the same Service as vsctl's, so networks,
// endpoints and leases live in the database and survive a kill -9 of vswitchd and restarts of
// dockerd.
//
// Where things are kept (external_ids, so `vsctl show` shows them):
//   network  = an internal port lvg<12 hex of the network id> on the network's bridge (default
//              lvb<12 hex>, made for it; or -o lite-vswitch.bridge=BR), options:ip=GATEWAY/P, an
//              access port of the network's VLAN; docker_network=ID, docker_icc, docker_mtu
//   endpoint = a system port lvh<12 hex of the endpoint id> (the host end of a veth whose other
//              end lvc<12 hex> Docker moves into the container and renames eth0), an access port
//              of the VLAN, protected=true when icc=false; docker_endpoint, docker_network,
//              container_ip (and publish: ProgramExternalConnectivity's ports, DNAT by nat_rules)
//   pool     = an IPAM pool docker-A-P (ipam.hpp), leases owned by "docker:ADDRESS"
#include <nlohmann/json.hpp>
#include <string>
#include <utility>

#include "ctl/service.hpp"

namespace lvs::ctl {

inline constexpr const char* kDockerNetwork = "docker_network";
inline constexpr const char* kDockerEndpoint = "docker_endpoint";
inline constexpr const char* kDockerSandbox = "docker_sandbox";
inline constexpr const char* kDockerIcc = "docker_icc";
inline constexpr const char* kDockerMtu = "docker_mtu";
// -o lite-vswitch.rate=KBPS[,BURST_KBIT] of the network: every endpoint's limits (rate_spec.hpp).
inline constexpr const char* kDockerRate = "docker_rate";
inline constexpr const char* kDockerCreatedBridge = "docker_created";  // Bridge external_ids

struct DockerReply {
  int status = 200;
  nlohmann::json body = nlohmann::json::object();
};

class DockerDriver {
 public:
  explicit DockerDriver(Service& service) : service_(service) {}
  // One call: `method` as in the URL ("NetworkDriver.CreateNetwork"), `request` its JSON body.
  // Errors are {"Err": "..."} naming what is wrong; 404 for a method that does not exist.
  DockerReply handle(const std::string& method, const nlohmann::json& request);

 private:
  DockerReply create_network(const nlohmann::json& r);
  DockerReply delete_network(const nlohmann::json& r);
  DockerReply create_endpoint(const nlohmann::json& r);
  DockerReply delete_endpoint(const nlohmann::json& r);
  DockerReply join(const nlohmann::json& r);
  DockerReply leave(const nlohmann::json& r);
  DockerReply endpoint_info(const nlohmann::json& r);
  DockerReply program_external(const nlohmann::json& r);
  DockerReply revoke_external(const nlohmann::json& r);
  DockerReply request_pool(const nlohmann::json& r);
  DockerReply release_pool(const nlohmann::json& r);
  DockerReply request_address(const nlohmann::json& r);
  DockerReply release_address(const nlohmann::json& r);

  // One transaction; the error's message, or the outputs.
  Result<nlohmann::json> transact(const std::vector<std::vector<std::string>>& chain);

  Service& service_;
};

// Names derived from Docker's ids (64 hex): at most 15 characters (IFNAMSIZ).
std::string docker_gateway_port(const std::string& network_id);
std::string docker_bridge(const std::string& network_id);
std::string docker_host_veth(const std::string& endpoint_id);
std::string docker_container_veth(const std::string& endpoint_id);

}  // namespace lvs::ctl
