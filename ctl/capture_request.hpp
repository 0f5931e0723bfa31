#pragma once
// The daemon's side of a capture request (capture_protocol.hpp): checks its parameters and
// starts the capture on the connection `fd` (a duplicate, taken over on success).
#include <nlohmann/json.hpp>
#include <optional>

#include "ctl/capture_protocol.hpp"
#include "ctl/datapath_driver.hpp"

namespace lvs::ctl {

// Null when the capture runs (its reply line already queued on `fd`), else the error reply
// (`fd` closed).
std::optional<nlohmann::json> start_capture_request(DatapathDriver& driver,
                                                    const nlohmann::json& request, int fd);

}  // namespace lvs::ctl
