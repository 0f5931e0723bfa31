#pragma once
// Keeps the port underlay's next hops right while the kernel's routes change, without anyone
// reading a port's status: one thread per network namespace with such tunnels, subscribed to
// the kernel's IPv4 route, address and link notifications (NETLINK_ROUTE groups
// RTMGRP_IPV4_ROUTE, RTMGRP_IPV4_IFADDR, RTMGRP_LINK) and woken every kRecheckMs as well (routes
// through a link that goes down vanish without a notification). On each wake-up it calls every
// watcher's refresh, which looks its route up again (route_lookup.hpp) and moves to the new next
// hop. The thread is started in, and so lives in, the namespace of the thread that first
// acquires the monitor there; it stops with the last watcher.
#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

namespace lvs::tunnels {

class RouteMonitor {
 public:
  static constexpr uint64_t kRecheckMs = 5'000;

  // The monitor of the calling thread's network namespace, started on first use; nullptr and
  // `error` when its netlink socket cannot be opened.
  static std::shared_ptr<RouteMonitor> acquire(std::string& error);
  ~RouteMonitor();
  RouteMonitor(const RouteMonitor&) = delete;
  RouteMonitor& operator=(const RouteMonitor&) = delete;

  // `refresh` runs on the monitor's thread after every route change (and every kRecheckMs)
  // until unwatch(id) returns; unwatch waits for a refresh in progress.
  uint64_t watch(std::function<void()> refresh);
  void unwatch(uint64_t id);
  uint64_t wakeups() const { return wakeups_; }  // refresh rounds so far (tests)

 private:
  RouteMonitor(uint64_t netns, int nl_fd, int stop_fd);
  void run();

  uint64_t netns_;
  int nl_fd_;         // NETLINK_ROUTE socket joined to the route / address / link groups
  int stop_fd_;       // eventfd: the destructor wakes the thread
  std::mutex mutex_;  // watchers_; held while they refresh
  std::map<uint64_t, std::function<void()>> watchers_;
  uint64_t next_id_ = 1;
  std::atomic<uint64_t> wakeups_{0};
  std::thread thread_;
};

}  // namespace lvs::tunnels
