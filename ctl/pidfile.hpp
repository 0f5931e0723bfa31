#pragma once
// vswitchd's pidfile: written when the daemon holds its database lock, removed when it stops.
// Opened through safe_dir.hpp (never through a symbolic link, only a regular file, in a
// directory others cannot write), so a link planted as the pidfile is refused, not followed.
#include <string>

#include "ctl/error.hpp"

namespace lvs::ctl {

class Pidfile {
 public:
  // Writes getpid() to `path`, creating its directory if missing.
  static Result<Pidfile> write(const std::string& path);
  Pidfile(Pidfile&& other) noexcept : path_(std::move(other.path_)) { other.path_.clear(); }
  Pidfile& operator=(Pidfile&&) = delete;
  Pidfile(const Pidfile&) = delete;
  Pidfile& operator=(const Pidfile&) = delete;
  ~Pidfile();  // removes the file

 private:
  explicit Pidfile(std::string path) : path_(std::move(path)) {}
  std::string path_;
};

}  // namespace lvs::ctl
