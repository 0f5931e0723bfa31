// internal: the bridge's own interface in the host, with options:ip addresses on it (br0's
// 172.17.0.1/16, docker0's role) and options:device, what carries it: "veth" (the default: a
// veth pair read through AF_PACKET in batches, whose container <-> host unicast the kernel
// offload carries, 2-4x the tap's TCP: bench/results/internal-port-offload-2026-12-01.md) or
// "tap" (a readv/writev per frame, always through the switch).
#include "ctl/kinds/builtin_kinds.hpp"

namespace lvs::ctl {
namespace {

Status check_internal(const PortConfig& p, const std::string& at) {
  if (auto it = p.options.find(kIpOption); it != p.options.end()) {
    auto list = parse_ip_list(it->second);
    if (!list) return make_error(kErrInvalid, at + "options:ip " + list.error().message);
  }
  return check_option_choice(p, at, kInternalDeviceOption, "tap", "veth");
}

}  // namespace

const PortKind kInternalPort{
    .name = "internal", .options = "ip device", .check_options = check_internal};

}  // namespace lvs::ctl
