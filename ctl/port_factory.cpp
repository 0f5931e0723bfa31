#include "ctl/port_factory.hpp"

namespace lvs::ctl {

const PortOps* PortFactory::find(const PortConfig& port) const {
  auto it = kinds_.find(effective_type(port));
  return it == kinds_.end() ? nullptr : &it->second;
}

std::vector<std::string> PortFactory::kinds() const {
  std::vector<std::string> out;
  for (const auto& [name, ops] : kinds_) out.push_back(name);
  return out;
}

Result<std::shared_ptr<sw::Port>> PortFactory::make(const PortConfig& port,
                                                    const PortContext& ctx) const {
  const PortOps* ops = find(port);
  if (!ops || !ops->make)
    return make_error(kErrNotFound, "port kind " + effective_type(port) + " not available");
  return ops->make(port, ctx);
}

Status PortFactory::set_mtu(const PortConfig& port, int mtu, const PortContext& ctx) const {
  const PortOps* ops = find(port);
  if (!ops || !ops->set_mtu)
    return make_error(kErrInvalid, "not supported by port kind " + effective_type(port));
  return ops->set_mtu(port, mtu, ctx);
}

std::shared_ptr<sw::RxFilter> PortFactory::underlay_filter(const PortConfig& config,
                                                           const sw::Port& port) const {
  const PortOps* ops = find(config);
  return ops && ops->underlay_filter ? ops->underlay_filter(port) : nullptr;
}

}  // namespace lvs::ctl
