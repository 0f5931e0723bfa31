#include "ctl/iptables.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>

#include "ctl/forward_rules.hpp"

extern char** environ;

namespace lvs::ctl {
namespace {

constexpr const char* kIptables = "/usr/sbin/iptables";
constexpr const char* kIptablesRestore = "/usr/sbin/iptables-restore";

// Runs `argv` with `input` on stdin; exit status, or -1 when it could not start. Output in `out`.
int run_program(const std::vector<std::string>& argv, const std::string& input, std::string& out) {
  int in[2], res[2];
  if (::pipe2(in, O_CLOEXEC) != 0) return -1;
  if (::pipe2(res, O_CLOEXEC) != 0) {
    ::close(in[0]);
    ::close(in[1]);
    return -1;
  }
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, in[0], 0);
  posix_spawn_file_actions_adddup2(&fa, res[1], 1);
  posix_spawn_file_actions_adddup2(&fa, res[1], 2);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = -1;
  const int rc = ::posix_spawn(&pid, argv[0].c_str(), &fa, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  ::close(in[0]);
  ::close(res[1]);
  if (rc != 0) {
    ::close(in[1]);
    ::close(res[0]);
    out = std::strerror(rc);
    return -1;
  }
  // The scripts are small (well under a pipe buffer), so writing all before reading is safe.
  size_t off = 0;
  while (off < input.size()) {
    const ssize_t n = ::write(in[1], input.data() + off, input.size() - off);
    if (n <= 0) break;
    off += static_cast<size_t>(n);
  }
  ::close(in[1]);
  char buf[1024];
  ssize_t n;
  while ((n = ::read(res[0], buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
  ::close(res[0]);
  int st = 0;
  ::waitpid(pid, &st, 0);
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

Status checked(const std::vector<std::string>& argv, const std::string& input = "") {
  std::string out;
  const int rc = run_program(argv, input, out);
  if (rc == 0) return std::nullopt;
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return make_error(kErrNat, argv[0] + (rc < 0 ? " could not run: " : " failed: ") + out);
}

}  // namespace

Status apply_forward_rules(const std::string& script) {
  const std::string ch = kForwardChain;
  std::string ignored;
  const bool jumps = run_program({kIptables, "-w", "-C", "FORWARD", "-j", ch}, "", ignored) == 0;
  if (script.empty()) {
    if (jumps) checked({kIptables, "-w", "-D", "FORWARD", "-j", ch});
    run_program({kIptables, "-w", "-F", ch}, "", ignored);
    run_program({kIptables, "-w", "-X", ch}, "", ignored);
    return std::nullopt;
  }
  if (auto e = checked({kIptablesRestore, "-w", "--noflush"}, script)) return e;
  if (!jumps)
    if (auto e = checked({kIptables, "-w", "-I", "FORWARD", "1", "-j", ch})) return e;
  return std::nullopt;
}

Status set_conf(const std::string& iface, const std::string& key) {
  std::ofstream f("/proc/sys/net/ipv4/conf/" + iface + "/" + key);
  f << "1\n";
  f.flush();
  if (!f)
    return make_error(
        kErrNat, "cannot set net.ipv4.conf." + iface + "." + key + "=1: " + std::strerror(errno));
  return std::nullopt;
}

Status enable_route_localnet(const std::string& iface) { return set_conf(iface, "route_localnet"); }
Status set_arp_ignore(const std::string& iface) { return set_conf(iface, "arp_ignore"); }

}  // namespace lvs::ctl
