#pragma once
// vswitchd --docker-plugin: Docker's plugin protocol (HTTP POST, JSON bodies) on a unix socket,
// served by cpp-httplib's threads. Those threads never touch the configuration: each call becomes
// a Job on a queue, an eventfd wakes the daemon's control thread (the fd it polls besides the
// control socket), which runs the job through DockerDriver (one transaction through the same
// Service as vsctl) and hands the reply back. Bodies are bounded in size (kMaxBodyBytes: 413) and
// nesting depth (kMaxDepth: 400 with an Err) before any of it reaches the driver.
//
// The plugin's name is the socket's file name without ".sock" (lite-vswitch for the default
// /run/docker/plugins/lite-vswitch.sock, where dockerd looks); a socket anywhere else also gets
// /etc/docker/plugins/NAME.spec (unix://PATH), removed again on a clean stop.
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "ctl/docker_driver.hpp"
#include "ctl/error.hpp"

namespace httplib {
class Server;
}

namespace lvs::ctl {

inline constexpr const char* kDefaultDockerPluginSocket = "/run/docker/plugins/lite-vswitch.sock";
inline constexpr const char* kDockerPluginDir = "/run/docker/plugins";
inline constexpr const char* kDockerSpecDir = "/etc/docker/plugins";
inline constexpr size_t kMaxBodyBytes = 1u << 20;
inline constexpr int kMaxDepth = 16;

// Parses a request body: nullopt-free Result, the error names what is wrong (size, depth, JSON).
Result<nlohmann::json> parse_plugin_body(const std::string& body);

class DockerPlugin {
 public:
  using Runner = std::function<DockerReply(const std::string& method, const nlohmann::json& body)>;

  DockerPlugin();
  ~DockerPlugin();
  DockerPlugin(const DockerPlugin&) = delete;
  DockerPlugin& operator=(const DockerPlugin&) = delete;

  // Binds `socket_path` (a stale file is replaced), writes the spec file when needed, starts
  // serving on a thread of its own.
  Status start(const std::string& socket_path);
  // Readable while jobs wait: the control thread polls it and calls run_pending().
  int event_fd() const { return event_fd_; }
  // On the control thread: answers every waiting job with `run`.
  void run_pending(const Runner& run);
  // Stops serving, answers jobs still waiting with an error, removes the socket and spec file.
  void stop();
  const std::string& name() const { return name_; }

 private:
  struct Job {
    std::string method;
    nlohmann::json body;
    DockerReply reply;
    bool done = false;
  };
  DockerReply submit(const std::string& method, nlohmann::json body);

  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int event_fd_ = -1;
  std::string socket_path_, spec_path_, name_;
  std::mutex mu_;  // guards queue_, stopping_ and each queued Job
  std::condition_variable done_cv_;
  std::deque<std::shared_ptr<Job>> queue_;
  bool stopping_ = false;
};

}  // namespace lvs::ctl
