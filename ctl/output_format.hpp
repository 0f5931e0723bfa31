#pragma once
// How vsctl prints a command's result: `table` (ovs-vsctl / ovs-appctl look) or `json`.
#include <string>

#include <nlohmann/json.hpp>

#include "ctl/commands.hpp"

namespace lvs::ctl {

enum class Format { kTable, kJson };

// Text for one command's output (empty when it prints nothing). Ends with a newline when not
// empty.
std::string format_output(const Command& command, const nlohmann::json& output, Format format);

// OVS datum syntax: 10, "a b", [1, 2], {k=v, k2="x y"}.
std::string format_datum(const nlohmann::json& value);

}  // namespace lvs::ctl
