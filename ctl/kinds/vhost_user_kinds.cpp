// dpdkvhostuser serves <run dir>/<port name>; dpdkvhostuserclient connects to
// options:vhost-server-path (Open vSwitch's names).
#include "ctl/kinds/builtin_kinds.hpp"
#include "ports/vhost_socket_path.hpp"

namespace lvs::ctl {
namespace {

Status check_vhost_user_client(const PortConfig& p, const std::string& at) {
  auto it = p.options.find(kVhostServerPath);
  if (it == p.options.end() || it->second.empty())
    return make_error(kErrInvalid, at + "type dpdkvhostuserclient needs options:vhost-server-path");
  if (auto e = ports::check_vhost_socket_path(it->second); !e.empty())
    return make_error(kErrInvalid, at + "options:vhost-server-path: " + e);
  return std::nullopt;
}

}  // namespace

const PortKind kVhostUserPort{.name = "dpdkvhostuser"};
const PortKind kVhostUserClientPort{.name = "dpdkvhostuserclient",
                                    .options = "vhost-server-path",
                                    .check_options = check_vhost_user_client};

}  // namespace lvs::ctl
