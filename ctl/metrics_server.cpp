#include "ctl/metrics_server.hpp"

#include <arpa/inet.h>
#include <httplib.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "ctl/config.hpp"
#include "ctl/log.hpp"
#include "ctl/metrics_exposition.hpp"
#include "ctl/metrics_families.hpp"

namespace lvs::ctl {
namespace {

constexpr const char* kUsage = " (expected ADDRESS:PORT, e.g. 127.0.0.1:9477 or [::1]:9477)";

Error bad_address(const std::string& text, const std::string& why) {
  return make_error(kErrInvalid, "--metrics-address: \"" + text + "\": " + why + kUsage);
}

// Why binding `a` fails, or "" when it would work: httplib only says yes or no.
std::string try_bind(const ListenAddress& a) {
  sockaddr_storage ss{};
  socklen_t len;
  int family;
  if (a.host.find(':') != std::string::npos) {
    auto* s6 = reinterpret_cast<sockaddr_in6*>(&ss);
    s6->sin6_family = family = AF_INET6;
    s6->sin6_port = htons(static_cast<uint16_t>(a.port));
    ::inet_pton(AF_INET6, a.host.c_str(), &s6->sin6_addr);
    len = sizeof *s6;
  } else {
    auto* s4 = reinterpret_cast<sockaddr_in*>(&ss);
    s4->sin_family = family = AF_INET;
    s4->sin_port = htons(static_cast<uint16_t>(a.port));
    ::inet_pton(AF_INET, a.host.c_str(), &s4->sin_addr);
    len = sizeof *s4;
  }
  const int fd = ::socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return std::strerror(errno);
  const int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);  // as httplib does
  std::string why;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0) why = std::strerror(errno);
  ::close(fd);
  return why;
}

}  // namespace

Result<ListenAddress> parse_listen_address(const std::string& text) {
  ListenAddress a;
  a.text = text;
  std::string port;
  if (text.starts_with("[")) {
    const size_t close = text.find(']');
    if (close == std::string::npos) return bad_address(text, "no \"]\" after the IPv6 address");
    a.host = text.substr(1, close - 1);
    if (text.size() == close + 1 || text[close + 1] != ':')
      return bad_address(text, "no \":PORT\" after \"]\"");
    port = text.substr(close + 2);
    in6_addr v6;
    if (::inet_pton(AF_INET6, a.host.c_str(), &v6) != 1)
      return bad_address(text, "\"" + a.host + "\" is not an IPv6 address");
  } else {
    const size_t colon = text.rfind(':');
    if (colon == std::string::npos) return bad_address(text, "no \":PORT\"");
    a.host = text.substr(0, colon);
    port = text.substr(colon + 1);
    if (a.host.find(':') != std::string::npos)
      return bad_address(text, "an IPv6 address goes in brackets");
    in_addr v4;
    if (::inet_pton(AF_INET, a.host.c_str(), &v4) != 1)
      return bad_address(text, "\"" + a.host + "\" is not an IPv4 address");
  }
  auto p = parse_int(port, 1, 65535);
  if (!p) return bad_address(text, "\"" + port + "\" is not a port (1..65535)");
  a.port = static_cast<int>(*p);
  return a;
}

MetricsServer::MetricsServer() : server_(std::make_unique<httplib::Server>()) {}
MetricsServer::~MetricsServer() { stop(); }

Status MetricsServer::bind(const ListenAddress& a) {
  address_ = a.text;
  event_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (event_fd_ < 0) return make_error(kErrIo, "eventfd: " + std::string(std::strerror(errno)));
  // Two threads: a scrape is one request a second or so; more would only take CPU from PMDs.
  server_->new_task_queue = [] { return new httplib::ThreadPool(2); };
  server_->set_read_timeout(std::chrono::seconds(5));
  server_->set_write_timeout(std::chrono::seconds(5));
  server_->set_payload_max_length(64 * 1024);
  server_->Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
    auto snapshot = wait_snapshot();
    if (!snapshot) {
      res.status = 503;
      res.set_content("vswitchd's control thread did not answer in time, or vswitchd is stopping\n",
                      "text/plain");
      return;
    }
    res.set_content(render_metrics(*snapshot), kExpositionContentType);
  });
  server_->Get("/", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("Lite vSwitch: metrics at /metrics\n", "text/plain");
  });
  if (const std::string why = try_bind(a); !why.empty())
    return make_error(kErrIo, "--metrics-address " + a.text + ": cannot listen: " + why);
  if (!server_->bind_to_port(a.host, a.port))
    return make_error(kErrIo, "--metrics-address " + a.text + ": cannot listen");
  return std::nullopt;
}

void MetricsServer::start(const std::vector<int>& pmd_cores) {
  thread_ = std::thread([this, pmd_cores] {
    // httplib's worker threads are made by this one and inherit its affinity.
    cpu_set_t set;
    if (!pmd_cores.empty() && ::sched_getaffinity(0, sizeof set, &set) == 0) {
      for (int core : pmd_cores) CPU_CLR(core, &set);
      if (CPU_COUNT(&set) > 0) ::pthread_setaffinity_np(pthread_self(), sizeof set, &set);
    }
    server_->listen_after_bind();
  });
  // stop() can only interrupt a server that is running: wait until it is.
  for (int i = 0; i < 1000 && !server_->is_running(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  log_info("metrics served on http://" + address_ + "/metrics");
}

std::shared_ptr<const MetricsSnapshot> MetricsServer::wait_snapshot() {
  std::unique_lock lock(mu_);
  if (stopping_) return nullptr;
  const uint64_t mine = ++requested_;
  const uint64_t one = 1;
  if (::write(event_fd_, &one, sizeof one) < 0) {
    // Only EAGAIN (the counter is full) can happen; the fd is readable then anyway.
  }
  if (!served_cv_.wait_for(lock, kSnapshotTimeout, [&] { return served_ >= mine || stopping_; }) ||
      served_ < mine)
    return nullptr;
  return latest_;
}

void MetricsServer::serve_pending(const Collector& collect) {
  uint64_t n = 0;
  if (::read(event_fd_, &n, sizeof n) < 0) {
    // EAGAIN: no scrape since the last one.
  }
  uint64_t upto;
  {
    std::lock_guard lock(mu_);
    if (served_ == requested_) return;
    upto = requested_;
  }
  auto snapshot = std::make_shared<const MetricsSnapshot>(collect());
  {
    std::lock_guard lock(mu_);
    latest_ = std::move(snapshot);
    served_ = upto;
  }
  served_cv_.notify_all();
}

void MetricsServer::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  served_cv_.notify_all();
  if (thread_.joinable()) {
    server_->stop();
    thread_.join();
  }
  if (event_fd_ >= 0) ::close(event_fd_);
  event_fd_ = -1;
}

}  // namespace lvs::ctl
