#pragma once
// `vsctl trace` as text: the flow, one line per stage ("stage: result" and, indented under it,
// why), and the verdict. From the JSON of trace_json.hpp (vsctl receives only JSON).
#include <nlohmann/json.hpp>
#include <string>

namespace lvs::ctl {

std::string format_trace(const nlohmann::json& trace);

}  // namespace lvs::ctl
