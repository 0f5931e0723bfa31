#include "ctl/database.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "ctl/bounded_json.hpp"
#include "ctl/config_json.hpp"
#include "ctl/safe_dir.hpp"

namespace lvs::ctl {
namespace {

std::string errno_text() { return std::strerror(errno); }

std::string base_name(const std::string& path) {
  const size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

bool write_all(int fd, const std::string& data) {
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = ::write(fd, data.data() + off, data.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    off += static_cast<size_t>(n);
  }
  return true;
}

}  // namespace

Result<std::optional<Config>> load_database(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (errno == ENOENT) return std::optional<Config>{};
    return make_error(kErrIo, "database " + path + ": cannot open: " + errno_text());
  }
  std::stringstream buf;
  buf << in.rdbuf();
  if (in.bad()) return make_error(kErrIo, "database " + path + ": read error");
  auto doc = parse_bounded_json(buf.str());
  if (!doc) return make_error(kErrInvalid, "database " + path + ": not valid JSON: " + doc.error().message);
  auto config = config_from_json(*doc);
  if (!config) return make_error(kErrInvalid, "database " + path + ": " + config.error().message);
  return std::optional<Config>(std::move(*config));
}

Status save_database(const std::string& path, const Config& config) {
  auto dir = SafeDir::open_parent_of(path, "database directory");
  if (!dir) return dir.error();
  const std::string name = base_name(path);
  const std::string data = to_json(config).dump(1) + "\n";
  const std::string tmp_name = name + ".tmp." + std::to_string(::getpid());
  const std::string tmp = dir->path_of(tmp_name);
  auto fd = dir->create_new(tmp_name, 0600);
  if (!fd) return fd.error();
  if (!write_all(*fd, data) || ::fsync(*fd) != 0) {
    const std::string why = errno_text();
    ::close(*fd);
    ::unlinkat(dir->fd(), tmp_name.c_str(), 0);
    return make_error(kErrIo, "cannot write " + tmp + ": " + why);
  }
  ::close(*fd);
  // renameat replaces the name itself: a link planted as <db> is replaced, never followed.
  if (::renameat(dir->fd(), tmp_name.c_str(), dir->fd(), name.c_str()) != 0) {
    const std::string why = errno_text();
    ::unlinkat(dir->fd(), tmp_name.c_str(), 0);
    return make_error(kErrIo, "cannot rename " + tmp + " to " + path + ": " + why);
  }
  // The rename is durable only once the directory entry is.
  ::fsync(dir->fd());
  return std::nullopt;
}

Result<DatabaseLock> DatabaseLock::acquire(const std::string& db_path) {
  auto dir = SafeDir::open_parent_of(db_path, "database directory");
  if (!dir) return dir.error();
  const std::string lock_path = db_path + ".lock";
  auto fd = dir->open_regular(base_name(db_path) + ".lock", 0600);
  if (!fd) return make_error(kErrIo, "lock file: " + fd.error().message);
  if (::flock(*fd, LOCK_EX | LOCK_NB) != 0) {
    const bool busy = errno == EWOULDBLOCK;
    const std::string why = errno_text();
    ::close(*fd);
    if (busy)
      return make_error(kErrExists, "database " + db_path +
                                        " is in use by another vswitchd (lock " + lock_path + " is held)");
    return make_error(kErrIo, "cannot lock " + lock_path + ": " + why);
  }
  return DatabaseLock(*fd);
}

DatabaseLock::DatabaseLock(DatabaseLock&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
DatabaseLock& DatabaseLock::operator=(DatabaseLock&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = other.fd_;
    other.fd_ = -1;
  }
  return *this;
}
DatabaseLock::~DatabaseLock() {
  if (fd_ >= 0) ::close(fd_);
}

}  // namespace lvs::ctl
