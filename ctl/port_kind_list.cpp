// The port kinds this build knows: one line per kind. The daemon's PortFactory registers how
// to open each (port_kinds.cpp); a test checks that both name the same kinds.
#include "ctl/kinds/builtin_kinds.hpp"

namespace lvs::ctl {
namespace {

constexpr const PortKind* kKinds[] = {
    &kSystemPort,    &kInternalPort,        &kDpdkPort,  &kAfxdpPort,
    &kVhostUserPort, &kVhostUserClientPort, &kVxlanPort, &kGrePort,
};

}  // namespace

std::span<const PortKind* const> port_kinds() { return kKinds; }

const PortKind* find_port_kind(std::string_view type) {
  if (type.empty()) type = kSystemPort.name;  // Open vSwitch's default: the kernel interface
  for (const PortKind* kind : kKinds)
    if (kind->name == type) return kind;
  return nullptr;
}

const PortKind* kind_of(const PortConfig& port) { return find_port_kind(port.type); }

bool PortKind::accepts_option(std::string_view option) const { return has_word(options, option); }

Status check_option_choice(const PortConfig& port, const std::string& at, const std::string& key,
                           std::string_view a, std::string_view b) {
  auto it = port.options.find(key);
  if (it == port.options.end() || it->second == a || it->second == b) return std::nullopt;
  return make_error(kErrInvalid, at + "options:" + key + " must be " + std::string(a) + " or " +
                                     std::string(b) + ", not '" + it->second + "'");
}

}  // namespace lvs::ctl
