#pragma once
// vsctl's ipam/ commands (the allocator is ipam.hpp), run inside the same transaction as the rest
// of a chain:
//   ipam/alloc POOL OWNER [ADDRESS|auto [MAC]]  -> {"pool","address":"A/P","gateway","mac"}
//   [--if-exists] ipam/release POOL OWNER
//   ipam/show [POOL]                             -> pools with their leases
//   [--may-exist] ipam/add-pool POOL SUBNET [GATEWAY]
//   [--if-exists] ipam/del-pool POOL             (refused while the pool holds leases)
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "ctl/commands.hpp"

namespace lvs::ctl {

struct IpamCommandSpec {
  std::string name;
  size_t min_args, max_args;
  std::vector<std::string> options;
  bool read_only;
};

const std::vector<IpamCommandSpec>& ipam_command_specs();
bool is_ipam_command(const std::string& name);
// Runs one ipam/ command against `config`; `out` receives what it prints.
Status run_ipam_command(Config& config, const Command& cmd, nlohmann::json& out);

}  // namespace lvs::ctl
