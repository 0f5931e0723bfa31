#include "ctl/control_server.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <exception>

#include "ctl/bounded_json.hpp"
#include "ctl/log.hpp"
#include "ctl/safe_dir.hpp"
#include "ctl/service.hpp"

namespace lvs::ctl {
namespace {

using std::chrono::duration_cast;
using std::chrono::milliseconds;

bool fill_addr(const std::string& path, sockaddr_un& addr) {
  std::memset(&addr, 0, sizeof(addr));
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof(addr.sun_path)) return false;
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  return true;
}

std::string base_name(const std::string& path) {
  const size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

std::string error_line(const char* code, const std::string& message) {
  return Service::error_reply(nullptr, make_error(code, message)).dump() + "\n";
}

// A last word to a connection about to be closed: one non-blocking send of a short line (it fits
// in the socket's empty buffer; if it does not, the peer was not reading anyway).
void say_and_close(int fd, const std::string& line) {
  (void)!::send(fd, line.data(), line.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
  ::close(fd);
}

long long ms_between(ControlServer::Clock::time_point a, ControlServer::Clock::time_point b) {
  return duration_cast<milliseconds>(b - a).count();
}

}  // namespace

ControlServer::~ControlServer() { close(); }

Status ControlServer::check_free(const std::string& path) {
  sockaddr_un addr{};
  if (!fill_addr(path, addr))
    return make_error(kErrInvalid, "socket path " + path + " is too long");
  auto dir = SafeDir::open_parent_of(path, "run directory", false);
  if (!dir) return dir.error().code == kErrNotFound ? std::nullopt : Status(dir.error());
  const std::string name = base_name(path);
  struct stat st {};
  if (::fstatat(dir->fd(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) return std::nullopt;
  if (!S_ISSOCK(st.st_mode))
    return make_error(kErrExists, "socket path " + path + " exists and is not a socket");
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return make_error(kErrIo, std::string("socket: ") + std::strerror(errno));
  const bool live = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  ::close(fd);
  if (live) return make_error(kErrExists, "another vswitchd is already serving on " + path);
  ::unlinkat(dir->fd(), name.c_str(), 0);  // stale socket left by a killed daemon
  return std::nullopt;
}

Status ControlServer::bind(const std::string& path, std::optional<gid_t> group) {
  if (auto e = check_free(path)) return e;
  auto dir = SafeDir::open_parent_of(path, "run directory");
  if (!dir) return dir.error();
  const std::string name = base_name(path);
  sockaddr_un addr{};
  fill_addr(path, addr);
  // Bound through the directory descriptor just checked, so that a directory swapped for a link
  // in between is not followed (bind() has no bindat; /proc/self/fd/N is that directory).
  sockaddr_un via{};
  if (fill_addr("/proc/self/fd/" + std::to_string(dir->fd()) + "/" + name, via) &&
      ::access(("/proc/self/fd/" + std::to_string(dir->fd())).c_str(), X_OK) == 0)
    addr = via;
  listen_fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (listen_fd_ < 0) return make_error(kErrIo, std::string("socket: ") + std::strerror(errno));
  // Created with 0660 directly: no window in which others could connect.
  const mode_t old = ::umask(0117);
  const int rc = ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  ::umask(old);
  std::string why;
  if (rc != 0)
    why = std::string("cannot bind ") + path + ": " + std::strerror(errno);
  else if (::fchmodat(dir->fd(), name.c_str(), 0660, 0) != 0)
    why = std::string("cannot chmod ") + path + ": " + std::strerror(errno);
  else if (group && ::fchownat(dir->fd(), name.c_str(), static_cast<uid_t>(-1), *group,
                               AT_SYMLINK_NOFOLLOW) != 0)
    why =
        "cannot give " + path + " to group " + std::to_string(*group) + ": " + std::strerror(errno);
  if (!why.empty()) {
    ::close(listen_fd_);
    listen_fd_ = -1;
    if (rc == 0) ::unlinkat(dir->fd(), name.c_str(), 0);
    return make_error(kErrIo, why);
  }
  if (group) policy_.group = group;
  path_ = path;
  return std::nullopt;
}

Status ControlServer::listen() {
  if (listen_fd_ < 0) return make_error(kErrIo, "control socket is not bound");
  if (::listen(listen_fd_, 128) != 0)
    return make_error(kErrIo, "cannot listen on " + path_ + ": " + std::strerror(errno));
  return std::nullopt;
}

void ControlServer::close() {
  for (auto& c : clients_) ::close(c.fd);
  clients_.clear();
  if (listen_fd_ >= 0) {
    ::close(listen_fd_);
    listen_fd_ = -1;
    ::unlink(path_.c_str());
  }
}

bool ControlServer::has_partial(const Client& c) const { return c.oversized || c.partial > 0; }

bool ControlServer::wants_read(const Client& c) const {
  return !c.closing && !c.eof && !c.oversized && c.lines < limits_.max_queued_requests &&
         pending_out(c) < limits_.max_reply_backlog;
}

bool ControlServer::has_work(const Client& c) const {
  return !c.closing && !c.dead && c.lines > 0 && pending_out(c) < limits_.max_reply_backlog;
}

void ControlServer::accept_clients(Clock::time_point now) {
  for (;;) {
    int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) return;
    auto peer = read_peer_credentials(fd);
    if (!peer || !peer_allowed(policy_, *peer)) {
      // One reply saying why, then the connection goes; nothing it sends is read.
      ++refused_;
      const std::string why = peer ? describe_refusal(policy_, *peer) : peer.error().message;
      log_warn("control socket: refused a client: " + why);
      say_and_close(fd, error_line(kErrPermission, why));
      continue;
    }
    if (clients_.size() >= limits_.max_clients && !evict_longest_waiting(now)) {
      ++busy_;
      say_and_close(
          fd, error_line(kErrBusy, "vswitchd is busy: all " + std::to_string(limits_.max_clients) +
                                       " control connections are in use; try again"));
      continue;
    }
    Client c;
    c.fd = fd;
    c.last_activity = now;
    clients_.push_back(std::move(c));
  }
}

// The slot kept for newcomers: the connection that has waited longest on its peer (no request
// of it queued, no reply unsent) gives its place up, if it has waited evict_after.
bool ControlServer::evict_longest_waiting(Clock::time_point now) {
  std::vector<std::pair<Clock::time_point, size_t>> waiting;
  for (size_t i = 0; i < clients_.size(); ++i) {
    const Client& c = clients_[i];
    if (c.dead || c.closing || c.lines > 0 || pending_out(c) > 0) continue;
    const auto since = has_partial(c) ? c.partial_since : c.last_activity;
    if (now - since >= limits_.evict_after) waiting.emplace_back(since, i);
  }
  std::sort(waiting.begin(), waiting.end());
  for (const auto& [since, i] : waiting) {
    Client& c = clients_[i];
    int unread = 0;
    if (::ioctl(c.fd, FIONREAD, &unread) == 0 && unread > 0) continue;  // it has spoken since
    ++evicted_;
    say_and_close(
        c.fd,
        error_line(kErrBusy, "connection closed after " + std::to_string(ms_between(since, now)) +
                                 " ms waiting: all " + std::to_string(limits_.max_clients) +
                                 " control connections are in use and a new "
                                 "client needed one"));
    // Its slot is reused at once: the entry goes now, the others keep their order.
    clients_.erase(clients_.begin() + static_cast<std::ptrdiff_t>(i));
    return true;
  }
  return false;
}

void ControlServer::read_client(Client& c, Clock::time_point now) {
  char buf[65536];
  while (wants_read(c)) {
    const ssize_t n = ::read(c.fd, buf, sizeof(buf));
    if (n == 0) {  // peer done sending: answer what it sent, then close
      c.eof = true;
      break;
    }
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN) c.dead = true;
      break;
    }
    const bool was_partial = has_partial(c);
    const std::string_view chunk(buf, static_cast<size_t>(n));
    c.in.append(chunk);
    c.last_activity = now;
    const size_t newlines = static_cast<size_t>(std::count(chunk.begin(), chunk.end(), '\n'));
    c.lines += newlines;
    c.partial = newlines > 0 ? chunk.size() - chunk.rfind('\n') - 1 : c.partial + chunk.size();
    if (c.partial > 0 && (!was_partial || newlines > 0)) c.partial_since = now;
    // An unfinished line past the limit can never become a request: stop reading it.
    if (c.partial > limits_.max_request_bytes) {
      c.in.resize(c.in.size() - c.partial);
      c.partial = 0;
      c.oversized = true;
    }
  }
}

std::string ControlServer::reply_to(std::string_view line, Client& c) {
  nlohmann::json reply;
  if (line.size() > limits_.max_request_bytes) {
    reply = Service::error_reply(
        nullptr, make_error(kErrTooLarge, "request of " + std::to_string(line.size()) +
                                              " bytes is over the limit of " +
                                              std::to_string(limits_.max_request_bytes)));
  } else if (auto req = parse_bounded_json(line); !req) {
    reply = Service::error_reply(
        nullptr, make_error(kErrBadRequest, "request is not valid JSON: " + req.error().message));
  } else if (const auto m = req->is_object() ? req->find("method") : req->end();
             takeover_ && m != req->end() && m->is_string() && *m == takeover_method_) {
    const int fd = ::dup(c.fd);
    auto refused = fd < 0 ? std::optional<nlohmann::json>(Service::error_reply(
                                nullptr, make_error(kErrBadRequest, "cannot take the connection")))
                          : takeover_(*req, fd);
    if (!refused) {
      c.dead = true;  // the taker has it now
      return {};
    }
    reply = std::move(*refused);
  } else {
    try {
      reply = handler_(*req);
    } catch (const std::exception& e) {
      reply = Service::error_reply(
          nullptr, make_error(kErrBadRequest, std::string("request failed: ") + e.what()));
    }
  }
  return reply.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

void ControlServer::run_requests(Client& c, Clock::time_point now) {
  const auto start = Clock::now();
  size_t done = 0;
  while (has_work(c) && done < limits_.requests_per_round &&
         (done == 0 || Clock::now() - start < limits_.round_budget)) {
    const size_t nl = c.in.find('\n', c.in_off);
    const std::string_view line(c.in.data() + c.in_off, nl - c.in_off);
    c.in_off = nl + 1;
    --c.lines;
    if (line.empty() || line == "\r") continue;
    c.out += reply_to(line, c);
    ++done;
    if (c.dead) break;
  }
  if (c.in_off == c.in.size()) {
    c.in.clear();
    c.in_off = 0;
  } else if (c.in_off > (64u << 10)) {
    c.in.erase(0, c.in_off);
    c.in_off = 0;
  }
  if (done > 0) c.last_activity = now;
  // The rest of a line cut by a read is the peer's to finish only from now on: while its queue
  // was full the server was not reading it.
  if (done > 0 && c.lines == 0 && c.partial > 0) c.partial_since = now;
}

// Everything it sent has been answered: the refusal of an oversized line, or the close a
// half-closed peer asked for.
void ControlServer::finish_input(Client& c) {
  if (c.lines > 0 || c.closing || c.dead) return;
  if (c.oversized) {
    c.out += error_line(kErrTooLarge, "request is over the limit of " +
                                          std::to_string(limits_.max_request_bytes) + " bytes");
    c.closing = true;
  } else if (c.eof) {
    c.closing = true;
  }
}

void ControlServer::write_client(Client& c, Clock::time_point now) {
  while (pending_out(c) > 0) {
    const ssize_t n =
        ::send(c.fd, c.out.data() + c.out_off, pending_out(c), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN) c.dead = true;
      break;
    }
    c.out_off += static_cast<size_t>(n);
    c.last_activity = now;
  }
  if (c.out_off == c.out.size()) {
    c.out.clear();
    c.out_off = 0;
  } else if (c.out_off > (1u << 20)) {
    c.out.erase(0, c.out_off);
    c.out_off = 0;
  }
}

void ControlServer::expire(Client& c, Clock::time_point now) {
  if (c.dead || has_work(c)) return;
  if (c.closing) {
    if (pending_out(c) == 0)
      c.dead = true;
    else if (now - c.last_activity >= limits_.idle_timeout)
      c.dead = true;  // it stopped reading
    return;
  }
  std::string why;
  // Unfinished line: the peer's fault only when nothing of it is queued (else we stopped reading).
  if (has_partial(c) && c.lines == 0 && now - c.partial_since >= limits_.partial_timeout)
    why = "request line not finished within " + std::to_string(limits_.partial_timeout.count()) +
          " ms: connection closed";
  else if (now - c.last_activity >= limits_.idle_timeout)
    why = "connection idle for " + std::to_string(limits_.idle_timeout.count()) + " ms: closed";
  if (why.empty()) return;
  ++timed_out_;
  if (pending_out(c) == 0)
    say_and_close(c.fd, error_line(kErrTimeout, why));
  else
    ::close(c.fd);
  c.fd = -1;
  c.dead = true;
}

int ControlServer::next_deadline_ms(Clock::time_point now, int timeout_ms) const {
  long long wait = timeout_ms < 0 ? -1 : timeout_ms;
  auto at_most = [&](Clock::time_point t) {
    const long long ms = std::max(0LL, ms_between(now, t) + 1);
    if (wait < 0 || ms < wait) wait = ms;
  };
  for (const auto& c : clients_) {
    if (has_work(c)) return 0;
    at_most(c.last_activity + limits_.idle_timeout);
    if (has_partial(c)) at_most(c.partial_since + limits_.partial_timeout);
  }
  return static_cast<int>(wait);
}

bool ControlServer::poll_once(int timeout_ms, int extra_fd) {
  std::vector<pollfd> fds;
  fds.reserve(clients_.size() + 2);
  fds.push_back({listen_fd_, POLLIN, 0});
  fds.push_back({extra_fd, POLLIN, 0});
  for (const auto& c : clients_)
    fds.push_back(
        {c.fd,
         static_cast<short>((wants_read(c) ? POLLIN : 0) | (pending_out(c) > 0 ? POLLOUT : 0)), 0});
  const int rc = ::poll(fds.data(), fds.size(), next_deadline_ms(Clock::now(), timeout_ms));
  const auto now = Clock::now();
  const bool extra = rc > 0 && extra_fd >= 0 && (fds[1].revents & POLLIN);
  const size_t n = clients_.size();
  for (size_t i = 0; i < n; ++i) {
    Client& c = clients_[i];
    const short ev = rc > 0 ? fds[i + 2].revents : 0;
    if (ev & (POLLHUP | POLLERR)) {
      // Hung up: nobody is left to read replies, so nothing more it asked for is run.
      c.dead = true;
      continue;
    }
    if (ev & POLLIN) read_client(c, now);
    if (has_work(c)) run_requests(c, now);
    finish_input(c);
    if (pending_out(c) > 0) write_client(c, now);
    expire(c, now);
  }
  std::erase_if(clients_, [this](Client& c) {
    if (!c.dead) return false;
    dropped_requests_ += c.lines;
    if (c.fd >= 0) ::close(c.fd);
    return true;
  });
  if (rc > 0 && (fds[0].revents & POLLIN)) accept_clients(now);
  return extra;
}

}  // namespace lvs::ctl
