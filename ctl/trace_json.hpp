#pragma once
// The JSON of a `vsctl trace` (sw::TraceReport, switch/trace.hpp): what vsctl prints with
// --format json and what trace_format.hpp lays out as text. One object per stage the frame
// reached, in pipeline order, each {"stage", "result", "detail"} plus its own fields; then
// "outputs" (port, action push/pop/keep/rewrite/none, vlan, pcp), "drops" (drop_reason.hpp
// names) and a one-line "verdict".
#include <functional>
#include <nlohmann/json.hpp>
#include <string>

#include "switch/trace.hpp"

namespace lvs::ctl {

using PortNamer = std::function<std::string(sw::PortIndex)>;

nlohmann::json trace_json(const std::string& bridge, const sw::TraceReport& report,
                          const PortNamer& port_name);

}  // namespace lvs::ctl
