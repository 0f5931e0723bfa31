#include "tunnels/route_monitor.hpp"

#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <poll.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace lvs::tunnels {
namespace {

std::mutex& registry_mutex() {
  static std::mutex m;
  return m;
}
std::map<uint64_t, std::weak_ptr<RouteMonitor>>& registry() {
  static std::map<uint64_t, std::weak_ptr<RouteMonitor>> r;
  return r;
}

// Reads every queued notification; what they say does not matter, only that something changed.
void drain(int fd) {
  char buf[8192];
  while (recv(fd, buf, sizeof(buf), MSG_DONTWAIT) > 0 || errno == ENOBUFS || errno == EINTR) {
  }
}

}  // namespace

std::shared_ptr<RouteMonitor> RouteMonitor::acquire(std::string& error) {
  struct stat st {};
  const uint64_t netns = stat("/proc/thread-self/ns/net", &st) == 0 ? st.st_ino : 0;
  std::lock_guard lock(registry_mutex());
  auto& r = registry();
  if (auto it = r.find(netns); it != r.end())
    if (auto m = it->second.lock()) return m;
  const int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, NETLINK_ROUTE);
  sockaddr_nl sa{};
  sa.nl_family = AF_NETLINK;
  sa.nl_groups = RTMGRP_IPV4_ROUTE | RTMGRP_IPV4_IFADDR | RTMGRP_LINK;
  if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) != 0) {
    error = std::string("route monitor: netlink socket: ") + std::strerror(errno);
    if (fd >= 0) close(fd);
    return nullptr;
  }
  const int stop = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (stop < 0) {
    error = std::string("route monitor: eventfd: ") + std::strerror(errno);
    close(fd);
    return nullptr;
  }
  // The thread starts here, in this thread's namespace (where its lookups then happen).
  auto m = std::shared_ptr<RouteMonitor>(new RouteMonitor(netns, fd, stop));
  r[netns] = m;
  return m;
}

RouteMonitor::RouteMonitor(uint64_t netns, int nl_fd, int stop_fd)
    : netns_(netns), nl_fd_(nl_fd), stop_fd_(stop_fd), thread_([this] { run(); }) {}

RouteMonitor::~RouteMonitor() {
  const uint64_t one = 1;
  [[maybe_unused]] ssize_t w = write(stop_fd_, &one, sizeof(one));
  if (thread_.joinable()) thread_.join();
  close(nl_fd_);
  close(stop_fd_);
  std::lock_guard lock(registry_mutex());
  auto& r = registry();
  if (auto it = r.find(netns_); it != r.end() && it->second.expired()) r.erase(it);
}

uint64_t RouteMonitor::watch(std::function<void()> refresh) {
  std::lock_guard lock(mutex_);
  const uint64_t id = next_id_++;
  watchers_.emplace(id, std::move(refresh));
  return id;
}

void RouteMonitor::unwatch(uint64_t id) {
  std::lock_guard lock(mutex_);
  watchers_.erase(id);
}

void RouteMonitor::run() {
  pthread_setname_np(pthread_self(), "lvs-routes");
  pollfd fds[2] = {{nl_fd_, POLLIN, 0}, {stop_fd_, POLLIN, 0}};
  for (;;) {
    const int r = ::poll(fds, 2, static_cast<int>(kRecheckMs));
    if (r < 0 && errno != EINTR) return;
    if (fds[1].revents & POLLIN) return;
    if (fds[0].revents & (POLLIN | POLLERR)) drain(nl_fd_);  // POLLERR: overrun (ENOBUFS)
    std::lock_guard lock(mutex_);
    for (auto& [id, refresh] : watchers_) refresh();
    wakeups_.fetch_add(1, std::memory_order_relaxed);
  }
}

}  // namespace lvs::tunnels
