#include "ctl/pidfile.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "ctl/safe_dir.hpp"

namespace lvs::ctl {

Result<Pidfile> Pidfile::write(const std::string& path) {
  auto dir = SafeDir::open_parent_of(path, "pidfile directory");
  if (!dir) return dir.error();
  const size_t slash = path.rfind('/');
  const std::string name = slash == std::string::npos ? path : path.substr(slash + 1);
  auto fd = dir->open_regular(name, 0644, O_TRUNC);
  if (!fd) return make_error(kErrIo, "pidfile: " + fd.error().message);
  const std::string text = std::to_string(::getpid()) + "\n";
  const bool ok = ::write(*fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  const std::string why = std::strerror(errno);
  ::close(*fd);
  if (!ok) {
    ::unlinkat(dir->fd(), name.c_str(), 0);
    return make_error(kErrIo, "cannot write pidfile " + path + ": " + why);
  }
  return Pidfile(path);
}

Pidfile::~Pidfile() {
  if (!path_.empty()) ::unlink(path_.c_str());
}

}  // namespace lvs::ctl
