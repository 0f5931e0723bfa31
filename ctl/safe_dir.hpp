#pragma once
// The directories vswitchd writes in (the database's, the run directory with the control socket,
// the pidfile's), opened so that nothing is ever written through a symbolic link someone else
// planted. The directory itself is opened O_DIRECTORY|O_NOFOLLOW and refused when it is not
// owned by root or by us, or when others (or a group other than root's) may write in it: in
// such a directory anyone could plant `<db>.tmp.<pid>` or `conf.json.lock` as a link to
// /etc/shadow. Files are then created relative to that descriptor (openat) with O_NOFOLLOW, and
// replaced with renameat, so a directory swapped after the check changes nothing either.
// Directories named on the way are trusted as the kernel resolves them (/var/run -> /run).
#include <sys/types.h>

#include <string>

#include "ctl/error.hpp"

namespace lvs::ctl {

class SafeDir {
 public:
  // The directory holding `file_path`; `what` names it in errors ("database directory"). With
  // `create`, missing directories are made first (mode `mode`, as mkdir -p).
  static Result<SafeDir> open_parent_of(const std::string& file_path, const std::string& what,
                                        bool create = true, mode_t mode = 0755);

  SafeDir(SafeDir&& other) noexcept;
  SafeDir& operator=(SafeDir&& other) noexcept;
  SafeDir(const SafeDir&) = delete;
  SafeDir& operator=(const SafeDir&) = delete;
  ~SafeDir();

  int fd() const { return fd_; }
  const std::string& path() const { return path_; }
  std::string path_of(const std::string& name) const;

  // A new file `name` (O_CREAT|O_EXCL|O_NOFOLLOW), opened write-only. A regular file of ours
  // already there (a temp file a killed daemon left) is removed first; anything else there (a
  // symbolic link, a fifo, someone else's file) is refused, naming it.
  Result<int> create_new(const std::string& name, mode_t mode) const;
  // `name` opened read-write, created if missing, never through a symbolic link and only when it
  // is a regular file (lock files, pidfiles; `flags` may add O_TRUNC).
  Result<int> open_regular(const std::string& name, mode_t mode, int flags = 0) const;

 private:
  SafeDir(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  int fd_ = -1;
  std::string path_;
};

// Why `name` in `dir` (an O_NOFOLLOW open that failed with `err`) was refused: "... is a
// symbolic link (refusing to follow it)" for ELOOP, else strerror.
std::string describe_open_error(const std::string& path, int err);

}  // namespace lvs::ctl
