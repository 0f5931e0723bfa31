#pragma once
// The control socket: a unix stream socket (mode 0660, group optional) carrying newline-delimited
// JSON, one request per line and one reply per request. Served from the daemon's control thread
// with poll(): many clients at once, each request handled in full before the next (transactions are
// serialised). A request over kMaxRequestBytes or that is not JSON gets an error reply; the
// daemon keeps serving everyone else. Every connection's peer credentials are checked against an
// AccessPolicy (peer_credentials.hpp); a refused peer gets one error reply and is closed.
#include <unistd.h>

#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "ctl/error.hpp"
#include "ctl/peer_credentials.hpp"

namespace lvs::ctl {

inline constexpr size_t kMaxRequestBytes = 4u << 20;
inline constexpr size_t kMaxClients = 256;

class ControlServer {
 public:
  using Handler = std::function<nlohmann::json(const nlohmann::json& request)>;

  explicit ControlServer(Handler handler) : handler_(std::move(handler)) {}
  ~ControlServer();
  ControlServer(const ControlServer&) = delete;
  ControlServer& operator=(const ControlServer&) = delete;

  // Fails when another daemon answers on `path`; removes a stale socket file otherwise.
  static Status check_free(const std::string& path);
  // bind() then listen(): vswitchd binds early, while it may still change the file's group, and
  // listens once it can serve (clients see ECONNREFUSED in between and retry).
  Status bind(const std::string& path, std::optional<gid_t> group = std::nullopt);
  Status listen();
  Status listen(const std::string& path) {
    if (auto e = bind(path)) return e;
    return listen();
  }
  size_t refused() const { return refused_; }
  // Serves for up to timeout_ms. Returns true when `extra_fd` (>= 0) became readable.
  bool poll_once(int timeout_ms, int extra_fd = -1);
  // Closes every connection and removes the socket file.
  void close();
  size_t clients() const { return clients_.size(); }

 private:
  struct Client {
    int fd = -1;
    std::string in, out;
    bool closing = false;  // close once `out` is sent
  };
  void accept_clients();
  void read_client(Client& c);
  void write_client(Client& c);

  Handler handler_;
  std::string path_;
  int listen_fd_ = -1;
  std::vector<Client> clients_;
  AccessPolicy policy_{::geteuid(), std::nullopt};
  size_t refused_ = 0;
};

}  // namespace lvs::ctl
