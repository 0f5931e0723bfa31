#pragma once
// What the command engine may ask of the running switch: port health and counters, FDB views,
// PMD statistics. The daemon implements it over the Datapath (datapath_driver.hpp); tests use
// a fake. The engine never touches datapath state in any other way.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "switch/datapath.hpp"
#include "switch/fdb.hpp"
#include "switch/port.hpp"

namespace lvs::ctl {

struct FdbRow {
  std::string port;
  int vlan = 0;
  std::string mac;
  uint64_t age_s = 0;
  bool is_static = false;
};

struct InterfaceState {
  std::string error;  // empty when the port is attached and healthy
  bool attached = false;
  sw::PortStatus status;
  sw::PortCounters counters;
};

class Runtime {
 public:
  virtual ~Runtime() = default;
  virtual InterfaceState interface_state(const std::string& bridge, const std::string& port) const = 0;
  // Empty when the bridge has no table (yet).
  virtual std::vector<FdbRow> fdb_show(const std::string& bridge) const = 0;
  virtual sw::FdbStats fdb_stats(const std::string& bridge) const = 0;
  // Removes learnt entries (static ones stay). Returns how many went.
  virtual size_t fdb_flush(const std::string& bridge) = 0;
  // Removes one learnt entry; false when there was none.
  virtual bool fdb_del(const std::string& bridge, int vlan, const std::string& mac) = 0;
  virtual std::vector<sw::PmdStats> pmd_stats() const = 0;
};

}  // namespace lvs::ctl
