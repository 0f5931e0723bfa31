#pragma once
// What one scrape of /metrics reports, as plain values: copied from the Config, the Runtime and
// the daemon on the control thread (metrics_collect.hpp), formatted on the HTTP thread
// (metrics_families.hpp). Nothing in it points into the datapath.
#include <cstdint>
#include <string>
#include <vector>

#include "ctl/latency_histogram.hpp"
#include "ctl/runtime.hpp"

namespace lvs::ctl {

struct MetricsPort {
  std::string bridge, name;
  std::string type;       // the Interface type, "system" for ""
  bool tunnel = false;    // a kind that reads options:remote_ip (vxlan, gre)
  std::string remote_ip;  // tunnels only
  InterfaceState state;
};

struct MetricsBridge {
  std::string name;
  FdbTableStats fdb;
  uint64_t ports = 0;
  bool nat = false;              // other_config:nat=true
  uint64_t published_ports = 0;  // external_ids:publish entries of its ports (DNAT rules)
};

// The daemon's own numbers.
struct MetricsDaemon {
  std::string version;
  double start_time_seconds = 0;  // Unix time
  double uptime_seconds = 0;
  uint64_t config_generation = 0;   // transactions that changed the configuration
  LatencyHistogram commit_latency;  // database writes (temp file + fsync + rename)
  uint64_t tsc_hz = 0;              // PMD cycle counters tick at this rate
};

struct MetricsSnapshot {
  MetricsDaemon daemon;
  std::vector<MetricsBridge> bridges;
  std::vector<MetricsPort> ports;
  std::vector<PmdThreadStats> pmds;
};

}  // namespace lvs::ctl
