#pragma once
// The control socket: a unix stream socket (mode 0660, group optional) carrying newline-delimited
// JSON, one request per line and one reply per request. Served from the daemon's control thread
// with poll(): many clients at once, requests run one at a time (transactions are serialised).
// Every connection's peer credentials are checked against an AccessPolicy (peer_credentials.hpp);
// a refused peer gets one error reply and is closed.
//
// What one client may cost is bounded (ServerLimits; ctl/README.md lists the numbers):
//  - a request line of at most max_request_bytes, JSON nested at most kMaxJsonDepth deep
//    (bounded_json.hpp); more gets an error reply;
//  - pipelining: once a client has max_queued_requests complete requests waiting, or
//    max_reply_backlog reply bytes it has not read, the server stops reading it (the kernel's
//    socket buffer then blocks the sender) and stops running its requests;
//  - fairness: each poll round runs at most requests_per_round requests (or round_budget of
//    work) per client, then moves on, so one client's pipeline never delays another's request
//    by more than a round;
//  - a client that has hung up gets no more work done: what it left queued is dropped;
//  - slots: at most max_clients connections. When they are all taken, a newcomer displaces the
//    connection that has waited longest on its peer (idle, or in the middle of a request line)
//    if that one has waited evict_after; otherwise the newcomer is answered "busy". Nobody is
//    closed without a reply line saying why;
//  - timeouts: a connection with nothing to do for idle_timeout, or a request line begun and
//    not finished within partial_timeout, is closed with a "timeout" error.
#include <unistd.h>

#include <chrono>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ctl/error.hpp"
#include "ctl/peer_credentials.hpp"

namespace lvs::ctl {

inline constexpr size_t kMaxRequestBytes = 4u << 20;
inline constexpr size_t kMaxClients = 256;

struct ServerLimits {
  size_t max_request_bytes = kMaxRequestBytes;
  size_t max_queued_requests = 64;
  size_t max_reply_backlog = 4u << 20;
  size_t requests_per_round = 4;
  std::chrono::milliseconds round_budget{20};
  size_t max_clients = kMaxClients;
  std::chrono::milliseconds evict_after{250};
  std::chrono::milliseconds idle_timeout{30'000};
  std::chrono::milliseconds partial_timeout{5'000};
};

class ControlServer {
 public:
  using Handler = std::function<nlohmann::json(const nlohmann::json& request)>;
  using Clock = std::chrono::steady_clock;

  explicit ControlServer(Handler handler, ServerLimits limits = {})
      : handler_(std::move(handler)), limits_(limits) {}
  ~ControlServer();
  ControlServer(const ControlServer&) = delete;
  ControlServer& operator=(const ControlServer&) = delete;

  // A request of method `method` takes its connection over (vsctl capture streams pcap on it):
  // `take` gets the request and a duplicate of the connection's fd (its own to close) and
  // returns null when it took it (it answers on the fd itself, the server forgets the
  // connection), or the error reply to send.
  using Takeover =
      std::function<std::optional<nlohmann::json>(const nlohmann::json& request, int fd)>;
  void set_takeover(std::string method, Takeover take) {
    takeover_method_ = std::move(method);
    takeover_ = std::move(take);
  }

  // Fails when another daemon answers on `path`; removes a stale socket file otherwise.
  static Status check_free(const std::string& path);
  // bind() then listen(): vswitchd binds early, while it may still change the file's group, and
  // listens once it can serve (clients see ECONNREFUSED in between and retry). The socket's
  // directory is created if missing and must pass safe_dir.hpp's checks (no symlink, not
  // writable by others).
  Status bind(const std::string& path, std::optional<gid_t> group = std::nullopt);
  Status listen();
  Status listen(const std::string& path) {
    if (auto e = bind(path)) return e;
    return listen();
  }
  // Serves for up to timeout_ms. Returns true when `extra_fd` (>= 0) became readable.
  bool poll_once(int timeout_ms, int extra_fd = -1);
  // Closes every connection and removes the socket file.
  void close();

  size_t clients() const { return clients_.size(); }
  // Connections turned away or closed by the server, by reason (tests, logs).
  size_t refused() const { return refused_; }
  size_t busy() const { return busy_; }
  size_t evicted() const { return evicted_; }
  size_t timed_out() const { return timed_out_; }
  size_t dropped_requests() const { return dropped_requests_; }

 private:
  struct Client {
    int fd = -1;
    std::string in;  // bytes read; in[in_off..] not yet run
    size_t in_off = 0;
    size_t lines = 0;        // complete request lines in in[in_off..]
    size_t partial = 0;      // bytes of the unfinished line at the end of `in`
    bool oversized = false;  // the unfinished line passed max_request_bytes: refuse, then close
    std::string out;         // replies; out[out_off..] not yet sent
    size_t out_off = 0;
    bool eof = false;      // the peer shut down its sending side: answer what it sent, then close
    bool closing = false;  // close once `out` is sent; nothing more is read or run
    bool dead = false;     // close now, unsent replies and all
    Clock::time_point last_activity;  // last byte read or written, or request run
    Clock::time_point partial_since;  // when the unfinished line in `in` began
  };
  size_t pending_out(const Client& c) const { return c.out.size() - c.out_off; }
  bool has_partial(const Client& c) const;
  bool wants_read(const Client& c) const;
  bool has_work(const Client& c) const;

  void accept_clients(Clock::time_point now);
  bool evict_longest_waiting(Clock::time_point now);
  void read_client(Client& c, Clock::time_point now);
  void run_requests(Client& c, Clock::time_point now);
  void finish_input(Client& c);
  std::string reply_to(std::string_view line, Client& c);
  void write_client(Client& c, Clock::time_point now);
  void expire(Client& c, Clock::time_point now);
  int next_deadline_ms(Clock::time_point now, int timeout_ms) const;

  Handler handler_;
  std::string takeover_method_;
  Takeover takeover_;
  ServerLimits limits_;
  std::string path_;
  int listen_fd_ = -1;
  std::vector<Client> clients_;
  AccessPolicy policy_{::geteuid(), std::nullopt};
  size_t refused_ = 0, busy_ = 0, evicted_ = 0, timed_out_ = 0, dropped_requests_ = 0;
};

}  // namespace lvs::ctl
