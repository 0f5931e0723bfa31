#pragma once
// The database file: one JSON document (config_json.hpp), replaced atomically on every committed
// transaction: write a temp file beside it, fsync it, rename it over the old one, fsync the
// directory. A reader (or a restart after kill -9 / power loss) sees the old or the new
// document, never a mix. A file that does not parse or validate is reported and left alone.
#include <optional>
#include <string>

#include "ctl/config.hpp"
#include "ctl/error.hpp"

namespace lvs::ctl {

// Reads `path`. nullopt when the file does not exist; an error naming the exact reason (and the
// path) when it cannot be read, is not JSON or does not validate.
Result<std::optional<Config>> load_database(const std::string& path);

// Writes `config` to `path` atomically (see above). Creates the parent directory if needed; the
// directory must pass safe_dir.hpp's checks and the temp file `<path>.tmp.<pid>` is created
// O_EXCL|O_NOFOLLOW in it (a symbolic link planted there is refused, never written through).
Status save_database(const std::string& path, const Config& config);

// An exclusive flock on "<path>.lock" (opened O_NOFOLLOW, a regular file only): one daemon per
// database. Released on destruction.
class DatabaseLock {
 public:
  static Result<DatabaseLock> acquire(const std::string& db_path);
  DatabaseLock(DatabaseLock&& other) noexcept;
  DatabaseLock& operator=(DatabaseLock&& other) noexcept;
  DatabaseLock(const DatabaseLock&) = delete;
  DatabaseLock& operator=(const DatabaseLock&) = delete;
  ~DatabaseLock();

 private:
  explicit DatabaseLock(int fd) : fd_(fd) {}
  int fd_ = -1;
};

}  // namespace lvs::ctl
