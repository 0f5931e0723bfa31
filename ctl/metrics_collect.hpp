#pragma once
// Builds a MetricsSnapshot on the control thread: the configuration names bridges and ports,
// the Runtime gives their counters (the same calls vsctl's list interface, fdb/stats-show and
// dpif/pmd-stats-show make: relaxed loads of the datapath's counters, no lock a PMD takes).
#include "ctl/config.hpp"
#include "ctl/metrics_snapshot.hpp"
#include "ctl/runtime.hpp"

namespace lvs::ctl {

MetricsSnapshot collect_metrics(const Config& config, const Runtime& runtime, MetricsDaemon daemon);

}  // namespace lvs::ctl
