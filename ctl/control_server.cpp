#include "ctl/control_server.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "ctl/database.hpp"
#include "ctl/log.hpp"
#include "ctl/service.hpp"

namespace lvs::ctl {
namespace {

bool fill_addr(const std::string& path, sockaddr_un& addr) {
  std::memset(&addr, 0, sizeof(addr));
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof(addr.sun_path)) return false;
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  return true;
}

}  // namespace

ControlServer::~ControlServer() { close(); }

Status ControlServer::check_free(const std::string& path) {
  sockaddr_un addr{};
  if (!fill_addr(path, addr))
    return make_error(kErrInvalid, "socket path " + path + " is too long");
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) return std::nullopt;
  if (!S_ISSOCK(st.st_mode))
    return make_error(kErrExists, "socket path " + path + " exists and is not a socket");
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return make_error(kErrIo, std::string("socket: ") + std::strerror(errno));
  const bool live = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  ::close(fd);
  if (live) return make_error(kErrExists, "another vswitchd is already serving on " + path);
  ::unlink(path.c_str());  // stale socket left by a killed daemon
  return std::nullopt;
}

Status ControlServer::bind(const std::string& path, std::optional<gid_t> group) {
  if (auto e = check_free(path)) return e;
  if (auto e = make_parent_dirs(path)) return e;
  sockaddr_un addr{};
  fill_addr(path, addr);
  listen_fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (listen_fd_ < 0) return make_error(kErrIo, std::string("socket: ") + std::strerror(errno));
  // Created with 0660 directly: no window in which others could connect.
  const mode_t old = ::umask(0117);
  const int rc = ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  ::umask(old);
  std::string why;
  if (rc != 0)
    why = std::string("cannot bind ") + path + ": " + std::strerror(errno);
  else if (::chmod(path.c_str(), 0660) != 0)
    why = std::string("cannot chmod ") + path + ": " + std::strerror(errno);
  else if (group && ::chown(path.c_str(), static_cast<uid_t>(-1), *group) != 0)
    why =
        "cannot give " + path + " to group " + std::to_string(*group) + ": " + std::strerror(errno);
  if (!why.empty()) {
    ::close(listen_fd_);
    listen_fd_ = -1;
    if (rc == 0) ::unlink(path.c_str());
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

void ControlServer::accept_clients() {
  for (;;) {
    int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) return;
    if (clients_.size() >= kMaxClients) {
      ::close(fd);
      continue;
    }
    auto peer = read_peer_credentials(fd);
    if (!peer || !peer_allowed(policy_, *peer)) {
      // One reply saying why, then the connection goes; nothing it sends is read.
      ++refused_;
      const std::string why = peer ? describe_refusal(policy_, *peer) : peer.error().message;
      log_warn("control socket: refused a client: " + why);
      clients_.push_back(
          Client{fd,
                 {},
                 Service::error_reply(nullptr, make_error(kErrPermission, why)).dump() + "\n",
                 true});
      continue;
    }
    clients_.push_back(Client{fd, {}, {}, false});
  }
}

void ControlServer::read_client(Client& c) {
  char buf[65536];
  for (;;) {
    const ssize_t n = ::read(c.fd, buf, sizeof(buf));
    if (n == 0) {  // peer done sending: answer what it sent, then close
      c.closing = true;
      break;
    }
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN) {
        c.closing = true;
        c.out.clear();
      }
      break;
    }
    c.in.append(buf, static_cast<size_t>(n));
    if (c.in.size() > kMaxRequestBytes && c.in.find('\n') == std::string::npos) break;
  }
  size_t start = 0;
  for (size_t nl; (nl = c.in.find('\n', start)) != std::string::npos; start = nl + 1) {
    const std::string_view line(c.in.data() + start, nl - start);
    if (line.empty()) continue;
    nlohmann::json reply;
    if (line.size() > kMaxRequestBytes) {
      reply = Service::error_reply(
          nullptr, make_error(kErrTooLarge, "request of " + std::to_string(line.size()) +
                                                " bytes is over the limit of " +
                                                std::to_string(kMaxRequestBytes)));
    } else {
      nlohmann::json req = nlohmann::json::parse(line, nullptr, false);
      if (req.is_discarded())
        reply =
            Service::error_reply(nullptr, make_error(kErrBadRequest, "request is not valid JSON"));
      else
        reply = handler_(req);
    }
    c.out += reply.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  }
  c.in.erase(0, start);
  if (c.in.size() > kMaxRequestBytes) {
    c.out += Service::error_reply(
                 nullptr, make_error(kErrTooLarge, "request is over the limit of " +
                                                       std::to_string(kMaxRequestBytes) + " bytes"))
                 .dump() +
             "\n";
    c.in.clear();
    c.closing = true;
  }
}

void ControlServer::write_client(Client& c) {
  while (!c.out.empty()) {
    const ssize_t n = ::send(c.fd, c.out.data(), c.out.size(), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN) {
        c.out.clear();
        c.closing = true;
      }
      return;
    }
    c.out.erase(0, static_cast<size_t>(n));
  }
}

bool ControlServer::poll_once(int timeout_ms, int extra_fd) {
  std::vector<pollfd> fds;
  fds.push_back({listen_fd_, POLLIN, 0});
  fds.push_back({extra_fd, POLLIN, 0});
  for (const auto& c : clients_)
    fds.push_back(
        {c.fd, static_cast<short>((c.closing ? 0 : POLLIN) | (c.out.empty() ? 0 : POLLOUT)), 0});
  const int rc = ::poll(fds.data(), fds.size(), timeout_ms);
  if (rc <= 0) return false;
  const bool extra = extra_fd >= 0 && (fds[1].revents & POLLIN);
  const size_t n = clients_.size();
  for (size_t i = 0; i < n; ++i) {
    Client& c = clients_[i];
    const short ev = fds[i + 2].revents;
    if (ev & (POLLIN | POLLHUP | POLLERR)) read_client(c);
    if (!c.out.empty()) write_client(c);
  }
  for (auto it = clients_.begin(); it != clients_.end();) {
    if (it->closing && it->out.empty()) {
      ::close(it->fd);
      it = clients_.erase(it);
    } else {
      ++it;
    }
  }
  if (fds[0].revents & POLLIN) accept_clients();
  return extra;
}

}  // namespace lvs::ctl
