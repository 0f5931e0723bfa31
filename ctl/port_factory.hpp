#pragma once
// Config port type -> lvs::sw::Port. Each kind registers one maker (port_kinds.cpp); a type
// with no maker is "not available": the port stays in the database and `vsctl show` reports
// the error instead of rejecting the transaction.
#include <rte_mempool.h>

#include <functional>
#include <map>
#include <memory>
#include <string>

#include "ctl/config.hpp"
#include "ctl/error.hpp"
#include "switch/port.hpp"

namespace lvs::ctl {

struct PortContext {
  rte_mempool* pool = nullptr;
  uint16_t queues = 1;  // one rx/tx queue per PMD thread where the kind allows it
  // The daemon's run directory (where its control socket lives): dpdkvhostuser ports serve
  // <run_dir>/<port name>, as Open vSwitch does under /var/run/openvswitch.
  std::string run_dir = "/run/lite-vswitch";
};

using PortMaker =
    std::function<Result<std::shared_ptr<sw::Port>>(const PortConfig& port, const PortContext& ctx)>;

// Applies mtu_request to an open port of its kind (the kernel interface's MTU for system, afxdp
// and internal ports).
using MtuSetter =
    std::function<Status(const PortConfig& port, int mtu, const PortContext& ctx)>;

class PortFactory {
 public:
  // Registers (or replaces) the maker for `kind` ("dpdk", "system", "internal", ...).
  void add(const std::string& kind, PortMaker maker) { makers_[kind] = std::move(maker); }
  void add_mtu_setter(const std::string& kind, MtuSetter setter) {
    mtu_setters_[kind] = std::move(setter);
  }
  // Sets the port's MTU, or says the kind has no MTU to set.
  Status set_mtu(const PortConfig& port, int mtu, const PortContext& ctx) const;
  bool has(const std::string& kind) const { return makers_.count(kind) > 0; }
  // Opens the port, or an error such as "port kind system not available".
  Result<std::shared_ptr<sw::Port>> make(const PortConfig& port, const PortContext& ctx) const;

 private:
  std::map<std::string, PortMaker> makers_;
  std::map<std::string, MtuSetter> mtu_setters_;
};

// Every kind this build knows (port_kinds.cpp): adding a kind is one line there.
void register_builtin_port_kinds(PortFactory& factory);

}  // namespace lvs::ctl
