#pragma once
// vsctl capture PORT [--direction rx|tx|both] [-c N] -w FILE|-: asks vswitchd for a capture
// (capture_protocol.hpp) on its own connection and copies the pcap stream that follows the reply
// to FILE or stdout until the daemon ends it (N frames) or vsctl is stopped (the connection
// closes and the daemon stops copying).
#include <string>
#include <vector>

namespace lvs::ctl {

// Returns vsctl's exit status; errors go to stderr.
int run_capture(const std::string& socket, const std::vector<std::string>& args);

}  // namespace lvs::ctl
