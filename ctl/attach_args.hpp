#pragma once
// vsattach's command line (pipework's habits):
//   vsattach [--socket PATH] BRIDGE CONTAINER [IP/PREFIX[@GATEWAY]|auto] [MAC][@VLAN] [-i IFNAME]
//            [--mtu N] [--port-type system|afxdp] [--publish [HOSTIP:]HOSTPORT:CONTAINERPORT[/tcp|udp]]...
//            [--rate KBPS[,BURST_KBIT]]
//   vsattach [--socket PATH] --detach BRIDGE CONTAINER [-i IFNAME]
//   vsattach [--socket PATH] --gc
// Pure parsing: every error names the offending word; nothing touches the system.
#include <optional>
#include <string>
#include <vector>

#include "ctl/config.hpp"
#include "ctl/error.hpp"
#include "ctl/rate_spec.hpp"

namespace lvs::ctl {

struct AttachArgs {
  enum class Mode { kAttach, kDetach, kGc, kHelp, kVersion } mode = Mode::kAttach;
  std::string socket;     // empty: the default socket
  std::string bridge;
  std::string container;  // as given: netns name, pid, or docker/containerd name or id
  std::optional<Ipv4Prefix> ip;     // nullopt: lease one from the bridge's pool (ipam.hpp)
  std::optional<uint32_t> gateway;  // host order
  std::string mac;                   // canonical; empty: the kernel's random one
  std::string mac_spec;              // "U:web" as given, for messages
  std::optional<int> vlan;           // access VLAN (tag) 1..4094; none: access port of VLAN 0
  // --trunk[=A,B,...]: the port is a trunk of these VLANs (empty: all) instead of an access port.
  std::optional<std::vector<int>> trunk;
  std::string ifname;                // empty: eth0 if the container has only lo, else eth1
  std::optional<int> mtu;
  std::string port_type = "system";
  std::vector<PublishedPort> publish;
  // --rate: both directions of the port (what the container sends and what it receives);
  // none: no limits (a limit an earlier run set is cleared).
  std::optional<PortRateLimits> rate;
};

Result<AttachArgs> parse_attach_args(const std::vector<std::string>& words);
std::string vsattach_help();

// A container name as vsattach accepts it: what netns names, pids and docker names/ids use.
Status validate_container_name(const std::string& name);

}  // namespace lvs::ctl
