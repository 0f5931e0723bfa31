#include "ctl/database.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "ctl/config_json.hpp"

namespace lvs::ctl {
namespace {

std::string errno_text() { return std::strerror(errno); }

std::string parent_of(const std::string& path) {
  auto parent = std::filesystem::path(path).parent_path().string();
  return parent.empty() ? "." : parent;
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

Status make_parent_dirs(const std::string& path, unsigned mode) {
  std::error_code ec;
  const auto parent = std::filesystem::path(path).parent_path();
  if (parent.empty() || std::filesystem::is_directory(parent, ec)) return std::nullopt;
  std::filesystem::create_directories(parent, ec);
  if (ec) return make_error(kErrIo, "cannot create directory " + parent.string() + ": " + ec.message());
  ::chmod(parent.c_str(), mode);
  return std::nullopt;
}

Result<std::optional<Config>> load_database(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (errno == ENOENT) return std::optional<Config>{};
    return make_error(kErrIo, "database " + path + ": cannot open: " + errno_text());
  }
  std::stringstream buf;
  buf << in.rdbuf();
  if (in.bad()) return make_error(kErrIo, "database " + path + ": read error");
  nlohmann::json doc;
  try {
    doc = nlohmann::json::parse(buf.str());
  } catch (const nlohmann::json::parse_error& e) {
    return make_error(kErrInvalid, "database " + path + ": not valid JSON: " + e.what());
  }
  auto config = config_from_json(doc);
  if (!config) return make_error(kErrInvalid, "database " + path + ": " + config.error().message);
  return std::optional<Config>(std::move(*config));
}

Status save_database(const std::string& path, const Config& config) {
  if (auto e = make_parent_dirs(path)) return e;
  const std::string data = to_json(config).dump(1) + "\n";
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return make_error(kErrIo, "cannot create " + tmp + ": " + errno_text());
  if (!write_all(fd, data) || ::fsync(fd) != 0) {
    const std::string why = errno_text();
    ::close(fd);
    ::unlink(tmp.c_str());
    return make_error(kErrIo, "cannot write " + tmp + ": " + why);
  }
  ::close(fd);
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const std::string why = errno_text();
    ::unlink(tmp.c_str());
    return make_error(kErrIo, "cannot rename " + tmp + " to " + path + ": " + why);
  }
  // The rename is durable only once the directory entry is.
  int dfd = ::open(parent_of(path).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  return std::nullopt;
}

Result<DatabaseLock> DatabaseLock::acquire(const std::string& db_path) {
  if (auto e = make_parent_dirs(db_path)) return *e;
  const std::string lock_path = db_path + ".lock";
  int fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return make_error(kErrIo, "cannot open lock file " + lock_path + ": " + errno_text());
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const bool busy = errno == EWOULDBLOCK;
    const std::string why = errno_text();
    ::close(fd);
    if (busy)
      return make_error(kErrExists, "database " + db_path +
                                        " is in use by another vswitchd (lock " + lock_path + " is held)");
    return make_error(kErrIo, "cannot lock " + lock_path + ": " + why);
  }
  return DatabaseLock(fd);
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
