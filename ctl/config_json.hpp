#pragma once
// The database document: the configuration as JSON with a schema version. Reading is strict:
// unknown keys and wrong types are errors naming their path (e.g. bridges[0].ports[2].tag).
#include <nlohmann/json.hpp>

#include "ctl/config.hpp"

namespace lvs::ctl {

// The one JSON rendering of the configuration: the database document is made of these, and
// `vsctl show` regroups them (ctl/commands/show_commands.cpp).
nlohmann::json to_json(const Config& config);
nlohmann::json bridge_json(const BridgeConfig& bridge);  // name, other_config, external_ids, ports, static_macs
nlohmann::json port_json(const PortConfig& port);        // every column; other_config when set
nlohmann::json to_json(const StringMap& map);
// Parses and validates; the error names the offending path or field.
Result<Config> config_from_json(const nlohmann::json& doc);

}  // namespace lvs::ctl
