#pragma once
// Scaffolding shared by the tests that drive real processes (vswitchd, vsctl, ip, testpmd):
// reading files, running a command line, and starting vswitchd inside a network namespace.
// Test code only: production code never builds a command line.
#include <fcntl.h>
#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace lvs::test {

inline std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Runs a command line through the shell; returns the exit status, stdout+stderr in `out`.
inline int run(const std::string& cmd, std::string* out = nullptr) {
  std::string text;
  FILE* f = ::popen((cmd + " 2>&1").c_str(), "r");
  if (!f) return -1;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof(buf), f)) > 0) text.append(buf, n);
  const int st = ::pclose(f);
  if (out) *out = text;
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

// Forks `vswitchd --db DB --socket SOCK [extra...]` inside network namespace `netns` (a name
// under /run/netns), output appended to `log`. Returns the child's pid.
inline pid_t spawn_vswitchd_in_netns(const std::string& vswitchd, const std::string& netns,
                                     const std::string& db, const std::string& sock,
                                     const std::string& log,
                                     const std::vector<std::string>& extra = {}) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    const int out = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    ::dup2(out, 1);
    ::dup2(out, 2);
    const int ns = ::open(("/run/netns/" + netns).c_str(), O_RDONLY);
    if (ns < 0 || ::setns(ns, CLONE_NEWNET) != 0) ::_exit(126);
    std::vector<const char*> argv = {"vswitchd", "--db", db.c_str(), "--socket", sock.c_str()};
    for (const auto& a : extra) argv.push_back(a.c_str());
    argv.push_back(nullptr);
    ::execv(vswitchd.c_str(), const_cast<char* const*>(argv.data()));
    ::_exit(127);
  }
  return pid;
}

}  // namespace lvs::test
