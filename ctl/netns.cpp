#include "ctl/netns.hpp"

#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>

namespace lvs::ctl {

Result<NetnsFd> NetnsFd::open(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return make_error(kErrNotFound, "cannot open network namespace " + path + ": " + std::strerror(errno));
  return NetnsFd(fd);
}

NetnsFd::~NetnsFd() {
  if (fd_ >= 0) ::close(fd_);
}

Status run_in_netns(const NetnsFd& ns, const std::function<Status()>& fn) {
  Status result;
  std::thread t([&] {
    if (::setns(ns.fd(), CLONE_NEWNET) != 0) {
      result = make_error(kErrIo, std::string("setns: ") + std::strerror(errno));
      return;
    }
    result = fn();
  });
  t.join();
  return result;
}

}  // namespace lvs::ctl
