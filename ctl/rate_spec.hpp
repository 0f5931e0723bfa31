#pragma once
// Rate limits as vsattach, the Docker plugin and the CNI plugin give them, and the vsctl
// commands that set them on a port (switch/rate_limit.hpp has the mechanism).
//
// Directions are the switch's: `ingress` limits what the port receives (what the container
// sends: Interface ingress_policing_rate / ingress_policing_burst), `egress` what the switch
// sends out of the port (what the container receives: Port other_config:egress-rate-kbps /
// egress-burst-kb). kbit/s and kbit (1000 bits) throughout; rate 0: no limit; burst 0: the
// switch's default (8000 kbit, Open vSwitch's).
#include <cstdint>
#include <string>
#include <vector>

#include "ctl/error.hpp"

namespace lvs::ctl {

struct PortRateLimits {
  uint64_t ingress_rate_kbps = 0, ingress_burst_kbit = 0;
  uint64_t egress_rate_kbps = 0, egress_burst_kbit = 0;
  bool any() const { return ingress_rate_kbps || egress_rate_kbps; }
  bool operator==(const PortRateLimits&) const = default;
};

// "KBPS[,BURST]" (vsattach --rate, -o lite-vswitch.rate): the same limit both ways. `what`
// names the option in errors ("--rate").
Result<PortRateLimits> parse_rate_spec(const std::string& what, const std::string& text);
std::string format_rate_spec(
    const PortRateLimits& limits);  // the inverse, for one-way-equal limits

// The CNI `bandwidth` capability (runtimeConfig.bandwidth, the bandwidth plugin's keys): bits
// per second and bits, from the container's side — its ingress is what the switch sends it.
// A rate needs its burst and the reverse, a burst is under 4 GB (the plugin's rules); values
// are rounded up to whole kbit.
struct CniBandwidth {
  uint64_t ingress_rate = 0, ingress_burst = 0, egress_rate = 0, egress_burst = 0;
};
Result<PortRateLimits> from_cni_bandwidth(const CniBandwidth& bw);

// vsctl commands that make `port`'s limits exactly `limits` (clearing what is 0); they leave
// the port's other other_config keys (storm control) alone.
std::vector<std::vector<std::string>> rate_limit_commands(const std::string& port,
                                                          const PortRateLimits& limits);

}  // namespace lvs::ctl
