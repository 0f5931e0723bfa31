#include "ctl/control_client.hpp"

#include "ctl/bounded_json.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

namespace lvs::ctl {
namespace {

using Clock = std::chrono::steady_clock;

int remaining_ms(Clock::time_point deadline, int timeout_ms) {
  if (timeout_ms <= 0) return -1;
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return left < 0 ? 0 : static_cast<int>(left);
}

}  // namespace

ControlClient::~ControlClient() { close(); }

void ControlClient::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  pending_.clear();
}

Status ControlClient::connect(const std::string& path, int timeout_ms) {
  close();
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof(addr.sun_path)) return make_error(kErrInvalid, "socket path " + path + " is too long");
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  const auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  for (;;) {
    fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) return make_error(kErrIo, std::string("socket: ") + std::strerror(errno));
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0) break;
    const int err = errno;
    ::close(fd_);
    fd_ = -1;
    // A daemon that is starting: retry until the timeout when one was given.
    if ((err == ENOENT || err == ECONNREFUSED || err == EAGAIN) && timeout_ms > 0 &&
        Clock::now() < deadline) {
      ::usleep(10000);
      continue;
    }
    return make_error(kErrIo, "cannot connect to " + path + ": " + std::strerror(err) +
                                  (err == ENOENT || err == ECONNREFUSED ? " (is vswitchd running?)" : ""));
  }
  path_ = path;
  return std::nullopt;
}

Result<std::string> ControlClient::call_raw(const std::string& bytes, int timeout_ms) {
  if (fd_ < 0) return make_error(kErrIo, "not connected");
  const auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  size_t off = 0;
  while (off < bytes.size()) {
    pollfd p{fd_, POLLOUT, 0};
    if (::poll(&p, 1, remaining_ms(deadline, timeout_ms)) == 0)
      return make_error(kErrIo, "timed out sending to " + path_);
    const ssize_t n = ::send(fd_, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      // The daemon may have answered (too large) and closed: read its reply below.
      break;
    }
    off += static_cast<size_t>(n);
  }
  for (;;) {
    if (auto nl = pending_.find('\n'); nl != std::string::npos) {
      std::string line = pending_.substr(0, nl);
      pending_.erase(0, nl + 1);
      return line;
    }
    pollfd p{fd_, POLLIN, 0};
    const int rc = ::poll(&p, 1, remaining_ms(deadline, timeout_ms));
    if (rc == 0) return make_error(kErrIo, "timed out waiting for vswitchd on " + path_);
    if (rc < 0) {
      if (errno == EINTR) continue;
      return make_error(kErrIo, std::string("poll: ") + std::strerror(errno));
    }
    char buf[65536];
    const ssize_t n = ::read(fd_, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return make_error(kErrIo, "vswitchd closed the connection on " + path_);
    pending_.append(buf, static_cast<size_t>(n));
  }
}

Result<nlohmann::json> ControlClient::call(const nlohmann::json& request, int timeout_ms) {
  auto line = call_raw(request.dump() + "\n", timeout_ms);
  if (!line) return line.error();
  auto reply = parse_bounded_json(*line);
  if (!reply) return make_error(kErrBadRequest, "vswitchd sent a reply that is not JSON: " + reply.error().message);
  return *reply;
}

Result<nlohmann::json> transact(const std::string& socket, const std::vector<std::vector<std::string>>& chain,
                                int timeout_ms) {
  ControlClient c;
  if (auto e = c.connect(socket, timeout_ms)) return *e;
  return c.call({{"id", 1}, {"method", "transact"}, {"params", {{"commands", chain}}}}, timeout_ms);
}

}  // namespace lvs::ctl
