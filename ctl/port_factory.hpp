#pragma once
// Config port type -> lvs::sw::Port. Each kind's descriptor (port_kind.hpp: options, split
// horizon, underlay, MTU overhead) is registered here once with what the daemon does with it:
// open a port, set its MTU, find the filter it puts on its underlay port (port_kinds.cpp). A
// type with no maker is "not available": the port stays in the database and `vsctl show`
// reports the error instead of rejecting the transaction.
#include <rte_mempool.h>

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "ctl/config.hpp"
#include "ctl/error.hpp"
#include "ctl/port_kind.hpp"
#include "switch/port.hpp"
#include "switch/rx_filter.hpp"

namespace lvs::ctl {

struct PortContext {
  rte_mempool* pool = nullptr;
  uint16_t queues = 1;  // one rx/tx queue per PMD thread where the kind allows it
  // The daemon's run directory (where its control socket lives): dpdkvhostuser ports serve
  // <run_dir>/<port name>, as Open vSwitch does under /var/run/openvswitch.
  std::string run_dir = "/run/lite-vswitch";
  // The open port of that name, or null: tunnels with options:underlay=port leave by one.
  std::function<std::shared_ptr<sw::Port>(const std::string&)> find_port;
  // other_config:kernel-tunnels: VXLAN ports of the kernel underlay on the kernel vxlan device.
  bool kernel_tunnels = true;
};

using PortMaker = std::function<Result<std::shared_ptr<sw::Port>>(const PortConfig& port,
                                                                  const PortContext& ctx)>;

// Applies mtu_request to an open port of its kind (the kernel interface's MTU for system, afxdp
// and internal ports).
using MtuSetter = std::function<Status(const PortConfig& port, int mtu, const PortContext& ctx)>;

// The frames an open port of the kind takes from in front of its underlay port's pipeline
// (a tunnel's decapsulation with options:underlay=port), or null.
using UnderlayFilter = std::function<std::shared_ptr<sw::RxFilter>(const sw::Port& port)>;

// What the daemon does with a kind.
struct PortOps {
  PortMaker make;
  MtuSetter set_mtu;               // empty: the kind has no MTU to set
  UnderlayFilter underlay_filter;  // empty: the kind never leaves by another port
};

class PortFactory {
 public:
  // Registers (or replaces) the kind's operations.
  void add(const PortKind& kind, PortOps ops) { kinds_[std::string(kind.name)] = std::move(ops); }
  // Sets the port's MTU, or says the kind has no MTU to set.
  Status set_mtu(const PortConfig& port, int mtu, const PortContext& ctx) const;
  bool has(const std::string& kind) const { return kinds_.count(kind) > 0; }
  // The registered kinds' names.
  std::vector<std::string> kinds() const;
  // Opens the port, or an error such as "port kind system not available".
  Result<std::shared_ptr<sw::Port>> make(const PortConfig& port, const PortContext& ctx) const;
  // The filter the open `port` puts on its underlay port, or null.
  std::shared_ptr<sw::RxFilter> underlay_filter(const PortConfig& config,
                                                const sw::Port& port) const;

 private:
  const PortOps* find(const PortConfig& port) const;

  std::map<std::string, PortOps> kinds_;
};

// Every kind this build can open (port_kinds.cpp): one registration line per kind.
void register_builtin_port_kinds(PortFactory& factory);

}  // namespace lvs::ctl
