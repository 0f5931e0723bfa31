#pragma once
// cluster/show's text: the JSON of ClusterDriver::show() as a few aligned blocks.
#include <nlohmann/json.hpp>
#include <string>

namespace lvs::ctl::cluster {

std::string format_cluster(const nlohmann::json& show);

}  // namespace lvs::ctl::cluster
