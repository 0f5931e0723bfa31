#pragma once
// The metric families of /metrics (ctl/README.md lists them): one family per quantity, with
// labels for the bridge, interface, reason, PMD, tunnel, never a name per port.
#include <string>

#include "ctl/metrics_snapshot.hpp"

namespace lvs::ctl {

// The exposition text (metrics_exposition.hpp) of one snapshot.
std::string render_metrics(const MetricsSnapshot& snapshot);

}  // namespace lvs::ctl
