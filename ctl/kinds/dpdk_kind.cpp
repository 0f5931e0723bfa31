// dpdk: any DPDK port by options:dpdk-devargs (net_null0, net_pcap0,..., a NIC's PCI address).
#include "ctl/kinds/builtin_kinds.hpp"

namespace lvs::ctl {
namespace {

Status check_dpdk(const PortConfig& p, const std::string& at) {
  auto it = p.options.find("dpdk-devargs");
  if (it == p.options.end() || it->second.empty())
    return make_error(kErrInvalid, at + "type dpdk needs options:dpdk-devargs");
  return std::nullopt;
}

}  // namespace

const PortKind kDpdkPort{.name = "dpdk", .options = "dpdk-devargs", .check_options = check_dpdk};

}  // namespace lvs::ctl
