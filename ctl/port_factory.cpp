#include "ctl/port_factory.hpp"

namespace lvs::ctl {

Result<std::shared_ptr<sw::Port>> PortFactory::make(const PortConfig& port,
                                                   const PortContext& ctx) const {
  const std::string kind = effective_type(port);
  auto it = makers_.find(kind);
  if (it == makers_.end()) return make_error(kErrNotFound, "port kind " + kind + " not available");
  return it->second(port, ctx);
}

Status PortFactory::set_mtu(const PortConfig& port, int mtu, const PortContext& ctx) const {
  const std::string kind = effective_type(port);
  auto it = mtu_setters_.find(kind);
  if (it == mtu_setters_.end())
    return make_error(kErrInvalid, "not supported by port kind " + kind);
  return it->second(port, mtu, ctx);
}

}  // namespace lvs::ctl
