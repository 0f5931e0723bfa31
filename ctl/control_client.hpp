#pragma once
// Client side of the control socket (vsctl, tests, benchmarks): connect once, then call().
#include <string>

#include <nlohmann/json.hpp>

#include "ctl/error.hpp"

namespace lvs::ctl {

inline constexpr const char* kDefaultSocket = "/run/lite-vswitch/vswitchd.sock";
inline constexpr const char* kDefaultDb = "/var/lib/lite-vswitch/conf.json";

class ControlClient {
 public:
  ControlClient() = default;
  ~ControlClient();
  ControlClient(const ControlClient&) = delete;
  ControlClient& operator=(const ControlClient&) = delete;

  // timeout_ms <= 0: wait forever.
  Status connect(const std::string& path, int timeout_ms = 0);
  // Sends one request line and waits for its reply line.
  Result<nlohmann::json> call(const nlohmann::json& request, int timeout_ms = 0);
  // Sends raw bytes (tests: malformed and oversized requests) and reads one reply line.
  Result<std::string> call_raw(const std::string& bytes, int timeout_ms = 0);
  void close();

 private:
  int fd_ = -1;
  std::string path_;
  std::string pending_;
};

// Convenience: {"method":"transact","params":{"commands":chain}} on a fresh connection.
Result<nlohmann::json> transact(const std::string& socket, const std::vector<std::vector<std::string>>& chain,
                                int timeout_ms = 0);

}  // namespace lvs::ctl
