#pragma once
// Working inside another network namespace from C++: setns() is per thread, so the work runs on a
// short-lived thread that joins the target namespace; the caller's thread never leaves its own
// (nothing to restore, nothing left behind if the work fails). Netlink and packet sockets made on
// that thread belong to the target namespace.
#include <functional>
#include <string>

#include "ctl/error.hpp"

namespace lvs::ctl {

// An open namespace file (/run/netns/NAME, /proc/PID/ns/net), closed on destruction.
class NetnsFd {
 public:
  static Result<NetnsFd> open(const std::string& path);
  NetnsFd(NetnsFd&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
  NetnsFd& operator=(NetnsFd&&) = delete;
  NetnsFd(const NetnsFd&) = delete;
  ~NetnsFd();
  int fd() const { return fd_; }

 private:
  explicit NetnsFd(int fd) : fd_(fd) {}
  int fd_ = -1;
};

// Runs `fn` in the namespace `ns` and returns what it returned (or why it could not enter).
Status run_in_netns(const NetnsFd& ns, const std::function<Status()>& fn);

}  // namespace lvs::ctl
