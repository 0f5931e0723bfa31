// Where the daemon writes: directories and the pidfile never reached through a planted link.
#include "ctl/safe_dir.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "ctl/pidfile.hpp"

namespace lvs::ctl {
namespace {

namespace fs = std::filesystem;

class SafeDirTest : public testing::Test {
 protected:
  void SetUp() override {
    dir = fs::temp_directory_path() / ("lvs-safedir-" + std::to_string(getpid()));
    fs::remove_all(dir);
    fs::create_directories(dir);
    fs::permissions(dir, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                             fs::perms::others_read | fs::perms::others_exec);
  }
  void TearDown() override { fs::remove_all(dir); }
  static std::string read(const fs::path& p) {
    std::ifstream in(p);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }
  fs::path dir;
};

TEST_F(SafeDirTest, MissingDirectoriesAreCreatedWithTheModeAsked) {
  auto d = SafeDir::open_parent_of((dir / "a/b/file").string(), "run directory", true, 0750);
  ASSERT_TRUE(d.ok()) << d.error().message;
  EXPECT_EQ(d->path(), (dir / "a/b").string());
  EXPECT_EQ(fs::status(dir / "a/b").permissions(),
            fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec);
  auto missing = SafeDir::open_parent_of((dir / "c/file").string(), "run directory", false);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, kErrNotFound);
  EXPECT_FALSE(fs::exists(dir / "c"));
}

TEST_F(SafeDirTest, AGroupWritableDirectoryIsRefusedUnlessTheGroupIsRoots) {
  fs::create_directories(dir / "g");
  fs::permissions(dir / "g", fs::perms::owner_all | fs::perms::group_all);
  struct stat st {};
  ASSERT_EQ(::stat((dir / "g").c_str(), &st), 0);
  auto d = SafeDir::open_parent_of((dir / "g/file").string(), "run directory");
  EXPECT_EQ(d.ok(), st.st_gid == 0) << (d.ok() ? "" : d.error().message);
  if (::chown((dir / "g").c_str(), static_cast<uid_t>(-1), 65534) == 0) {
    auto other = SafeDir::open_parent_of((dir / "g/file").string(), "run directory");
    ASSERT_FALSE(other.ok());
    EXPECT_NE(other.error().message.find("is writable by group 65534 (mode 0770)"),
              std::string::npos)
        << other.error().message;
  }
}

TEST_F(SafeDirTest, APlantedPidfileLinkIsRefusedAndItsTargetUntouched) {
  const fs::path target = dir / "target", pid = dir / "vswitchd.pid";
  { std::ofstream(target) << "precious\n"; }
  fs::create_symlink(target, pid);
  auto p = Pidfile::write(pid.string());
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.error().message,
            "pidfile: cannot open " + pid.string() + " is a symbolic link (refusing to follow it)");
  EXPECT_EQ(read(target), "precious\n");
  // A fifo there would have blocked a plain open: refused at once.
  fs::remove(pid);
  ASSERT_EQ(::mkfifo(pid.c_str(), 0600), 0);
  EXPECT_FALSE(Pidfile::write(pid.string()).ok());
}

TEST_F(SafeDirTest, APidfileIsWrittenAndRemoved) {
  const fs::path pid = dir / "run/vswitchd.pid";
  {
    auto p = Pidfile::write(pid.string());
    ASSERT_TRUE(p.ok()) << p.error().message;
    EXPECT_EQ(read(pid), std::to_string(getpid()) + "\n");
  }
  EXPECT_FALSE(fs::exists(pid));
}

}  // namespace
}  // namespace lvs::ctl
