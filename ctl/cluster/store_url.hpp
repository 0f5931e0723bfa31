#pragma once
// other_config:cluster-store: "etcd://HOST:PORT[,HOST:PORT...]" (parse_store_url is declared in
// cluster_view.hpp) and one "HOST:PORT" split for the HTTP client.
#include <string>
#include <string_view>

namespace lvs::ctl::cluster {

struct HostPort {
  std::string host;  // IPv6 without brackets
  int port = 0;
};

// `endpoint` as parse_store_url writes it ("h:p" or "[v6]:p"); an endpoint it did not write
// gives port 0.
HostPort split_host_port(std::string_view endpoint);

}  // namespace lvs::ctl::cluster
