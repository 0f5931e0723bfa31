// internal: the bridge's own interface in the host (a tap), with options:ip addresses on it
// (br0's 172.17.0.1/16, docker0's role).
#include "ctl/kinds/builtin_kinds.hpp"

namespace lvs::ctl {
namespace {

Status check_internal(const PortConfig& p, const std::string& at) {
  if (auto it = p.options.find(kIpOption); it != p.options.end()) {
    auto list = parse_ip_list(it->second);
    if (!list) return make_error(kErrInvalid, at + "options:ip " + list.error().message);
  }
  return std::nullopt;
}

}  // namespace

const PortKind kInternalPort{.name = "internal", .options = "ip", .check_options = check_internal};

}  // namespace lvs::ctl
