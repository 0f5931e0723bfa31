#include "ctl/safe_dir.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace lvs::ctl {
namespace {

std::string octal(mode_t mode) {
  char buf[8];
  std::snprintf(buf, sizeof(buf), "%04o", static_cast<unsigned>(mode & 07777));
  return buf;
}

// mkdir -p `dir` (no symbolic link is followed at the end: mkdir never follows one).
Status make_dirs(const std::string& dir, mode_t mode) {
  for (size_t end = dir.find('/', 1);; end = dir.find('/', end + 1)) {
    const std::string prefix = dir.substr(0, end);
    if (!prefix.empty() && ::mkdir(prefix.c_str(), mode) == 0) {
      ::chmod(prefix.c_str(), mode);  // the umask may have taken bits off
    } else if (!prefix.empty() && errno != EEXIST) {
      return make_error(kErrIo, "cannot create directory " + prefix + ": " + std::strerror(errno));
    }
    if (end == std::string::npos) return std::nullopt;
  }
}

}  // namespace

std::string describe_open_error(const std::string& path, int err) {
  if (err == ELOOP) return path + " is a symbolic link (refusing to follow it)";
  return path + ": " + std::strerror(err);
}

Result<SafeDir> SafeDir::open_parent_of(const std::string& file_path, const std::string& what,
                                        bool create, mode_t mode) {
  const size_t slash = file_path.rfind('/');
  std::string dir = slash == std::string::npos ? "." : file_path.substr(0, slash);
  if (dir.empty()) dir = "/";
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  if (create)
    if (auto e = make_dirs(dir, mode)) return *e;
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) {
    const int err = errno;
    struct stat st {};
    if ((err == ENOTDIR || err == ELOOP) && ::lstat(dir.c_str(), &st) == 0 && S_ISLNK(st.st_mode))
      return make_error(kErrIo, what + " " + dir + " is a symbolic link (refusing to follow it)");
    return make_error(err == ENOENT ? kErrNotFound : kErrIo,
                      what + " " + dir + ": " + std::strerror(err));
  }
  SafeDir d(fd, dir);
  struct stat st {};
  if (::fstat(fd, &st) != 0)
    return make_error(kErrIo, what + " " + dir + ": " + std::strerror(errno));
  if (st.st_uid != 0 && st.st_uid != ::geteuid())
    return make_error(kErrPermission, what + " " + dir + " is owned by uid " +
                                          std::to_string(st.st_uid) + ", not by root or uid " +
                                          std::to_string(::geteuid()) +
                                          " (it could plant links in it)");
  if ((st.st_mode & S_IWOTH) || ((st.st_mode & S_IWGRP) && st.st_gid != 0))
    return make_error(kErrPermission,
                      what + " " + dir + " is writable by " +
                          ((st.st_mode & S_IWOTH) ? std::string("others")
                                                  : "group " + std::to_string(st.st_gid)) +
                          " (mode " + octal(st.st_mode) +
                          "): refusing to create files in it (use a directory only root or "
                          "this user may write, e.g. chmod 0755)");
  return d;
}

SafeDir::SafeDir(SafeDir&& other) noexcept : fd_(other.fd_), path_(std::move(other.path_)) {
  other.fd_ = -1;
}
SafeDir& SafeDir::operator=(SafeDir&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = other.fd_;
    path_ = std::move(other.path_);
    other.fd_ = -1;
  }
  return *this;
}
SafeDir::~SafeDir() {
  if (fd_ >= 0) ::close(fd_);
}

std::string SafeDir::path_of(const std::string& name) const {
  return path_ == "/" ? "/" + name : path_ + "/" + name;
}

Result<int> SafeDir::create_new(const std::string& name, mode_t mode) const {
  const int flags = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC;
  int fd = ::openat(fd_, name.c_str(), flags, mode);
  if (fd < 0 && errno == EEXIST) {
    struct stat st {};
    if (::fstatat(fd_, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) {
      if (S_ISLNK(st.st_mode))
        return make_error(kErrIo, path_of(name) +
                                      " is a symbolic link (refusing to write "
                                      "through it; remove it)");
      if (!S_ISREG(st.st_mode) || st.st_uid != ::geteuid())
        return make_error(kErrIo, path_of(name) + " exists and is not a file of ours (remove it)");
    }
    ::unlinkat(fd_, name.c_str(), 0);  // our own leftover: a daemon killed while writing
    fd = ::openat(fd_, name.c_str(), flags, mode);
  }
  if (fd < 0)
    return make_error(kErrIo, "cannot create " + describe_open_error(path_of(name), errno));
  return fd;
}

Result<int> SafeDir::open_regular(const std::string& name, mode_t mode, int flags) const {
  // O_NONBLOCK: a fifo planted here must not block the open.
  const int fd = ::openat(fd_, name.c_str(),
                          O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | flags, mode);
  if (fd < 0) return make_error(kErrIo, "cannot open " + describe_open_error(path_of(name), errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return make_error(kErrIo, "cannot open " + path_of(name) + ": not a regular file");
  }
  return fd;
}

}  // namespace lvs::ctl
