#pragma once
// The database document: the configuration as JSON with a schema version. Reading is strict:
// unknown keys and wrong types are errors naming their path (e.g. bridges[0].ports[2].tag).
#include <nlohmann/json.hpp>

#include "ctl/config.hpp"

namespace lvs::ctl {

nlohmann::json to_json(const Config& config);
// Parses and validates; the error names the offending path or field.
Result<Config> config_from_json(const nlohmann::json& doc);

}  // namespace lvs::ctl
