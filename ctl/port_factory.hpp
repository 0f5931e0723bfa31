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
  // The open port of that name, or null: tunnels with options:underlay=port leave by one.
  std::function<std::shared_ptr<sw::Port>(const std::string&)> find_port;
};

using PortMaker = std::function<Result<std::shared_ptr<sw::Port>>(const PortConfig& port,
                                                                  const PortContext& ctx)>;

class PortFactory {
 public:
  // Registers (or replaces) the maker for `kind` ("dpdk", "system", "internal", ...).
  void add(const std::string& kind, PortMaker maker) { makers_[kind] = std::move(maker); }
  bool has(const std::string& kind) const { return makers_.count(kind) > 0; }
  // Opens the port, or an error such as "port kind system not available".
  Result<std::shared_ptr<sw::Port>> make(const PortConfig& port, const PortContext& ctx) const;

 private:
  std::map<std::string, PortMaker> makers_;
};

// Every kind this build knows (port_kinds.cpp): adding a kind is one line there.
void register_builtin_port_kinds(PortFactory& factory);

}  // namespace lvs::ctl
