#pragma once
// A running vswitchd for integration tests (root): the daemon runs inside a network namespace
// that plays the host, so its bridges, taps and NAT table never land on the machine running the
// tests. Every namespace, background process and file a test makes is removed by TearDown,
// whatever the test's outcome. Fixtures for attach, vhost-user and robustness tests build on it.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "ctl/control_client.hpp"
#include "tests/support/test_process.hpp"

namespace lvs::test {

class DaemonFixture : public testing::Test {
 protected:
  // Names everything after `prefix` + pid (interface names stay <= 15 characters), makes the
  // host namespace and starts vswitchd in it with `daemon_args`.
  void start(const std::string& prefix) {
    tag = prefix + std::to_string(::getpid() % 100000);
    host = tag + "h";
    dir = "/tmp/" + tag;
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    // Whatever the umask: vswitchd refuses a directory others may write (safe_dir.hpp).
    std::filesystem::permissions(dir, std::filesystem::perms::owner_all |
                                          std::filesystem::perms::group_read |
                                          std::filesystem::perms::group_exec |
                                          std::filesystem::perms::others_read |
                                          std::filesystem::perms::others_exec);
    db = dir + "/conf.json";
    sock = dir + "/vswitchd.sock";
    ASSERT_EQ(add_netns(host), 0);
    ASSERT_EQ(run("ip -n " + host + " link set lo up"), 0);
    start_daemon();
  }

  void TearDown() override {
    for (pid_t p : background) {
      ::kill(-p, SIGKILL);
      ::waitpid(p, nullptr, 0);
    }
    stop_daemon(SIGKILL);
    for (auto it = namespaces.rbegin(); it != namespaces.rend(); ++it) run("ip netns del " + *it);
    if (!dir.empty()) std::filesystem::remove_all(dir);
  }

  int add_netns(const std::string& name) {
    run("ip netns del " + name);  // a leftover of a crashed run with the same pid
    namespaces.push_back(name);
    if (int rc = run("ip netns add " + name)) return rc;
    if (!ipv4_only) return 0;
    // IPv4 only, as docker0: no IPv6 neighbour discovery or MLD multicast of its own.
    return run("ip netns exec " + name +
               " sh -c 'sysctl -qw net.ipv6.conf.all.disable_ipv6=1 "
               "net.ipv6.conf.default.disable_ipv6=1'");
  }

  void start_daemon() {
    const std::string log = dir + "/vswitchd.log";
    daemon = spawn_vswitchd_in_netns(LVS_VSWITCHD, host, db, sock, log, daemon_args);
    ctl::ControlClient c;
    ASSERT_FALSE(c.connect(sock, 20000)) << slurp(log);
  }
  void stop_daemon(int sig = SIGTERM) {
    if (daemon <= 0) return;
    ::kill(daemon, sig);
    ::waitpid(daemon, nullptr, 0);
    daemon = -1;
  }
  std::string daemon_log() { return slurp(dir + "/vswitchd.log"); }

  // Output in `out`; without `out`, a failure's output goes to stderr.
  int vsctl(const std::string& args, std::string* out = nullptr) {
    return tool(std::string(LVS_VSCTL) + " --socket " + sock + " " + args, "vsctl " + args, out);
  }
#ifdef LVS_VSATTACH
  // vsattach runs in the host namespace, as it would on a real host.
  int vsattach(const std::string& args, std::string* out = nullptr) {
    return tool("ip netns exec " + host + " " + LVS_VSATTACH + " --socket " + sock + " " + args,
                "vsattach " + args, out);
  }
#endif

  int in(const std::string& ns, const std::string& cmd, std::string* out = nullptr) {
    return run("ip netns exec " + ns + " " + cmd, out);
  }
  bool ping(const std::string& ns, const std::string& ip, int tries = 5) {
    for (int i = 0; i < tries; ++i)
      if (in(ns, "ping -c 1 -W 1 " + ip) == 0) return true;
    return false;
  }
  // Started in its own process group, output to `log`; killed by TearDown if still running.
  pid_t in_background(const std::string& ns, const std::string& cmd,
                      const std::string& log = "/dev/null") {
    const pid_t p = ::fork();
    if (p == 0) {
      ::setpgid(0, 0);
      const int null = ::open("/dev/null", O_RDWR);
      const int out = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      ::dup2(null, 0);
      ::dup2(out, 1);
      ::dup2(out, 2);
      ::execl("/bin/sh", "sh", "-c", ("exec ip netns exec " + ns + " " + cmd).c_str(), nullptr);
      ::_exit(127);
    }
    background.push_back(p);
    return p;
  }
  void kill_background(pid_t p) {
    ::kill(-p, SIGKILL);
    ::waitpid(p, nullptr, 0);
    std::erase(background, p);
  }
  // Waits for a background command; its exit status (-1 if it did not end in time).
  int wait_for(pid_t p, std::chrono::seconds timeout) {
    const auto end = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      int st = 0;
      if (::waitpid(p, &st, WNOHANG) == p) {
        std::erase(background, p);
        return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
      }
      if (std::chrono::steady_clock::now() >= end) return -1;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }

  std::vector<std::string> daemon_args;  // more vswitchd options, set before start()
  bool ipv4_only = false;                // add_netns turns IPv6 off in each namespace
  std::string tag, host, dir, db, sock;
  pid_t daemon = -1;
  std::vector<std::string> namespaces;
  std::vector<pid_t> background;

 private:
  int tool(const std::string& cmd, const std::string& what, std::string* out) {
    std::string text;
    const int rc = run(cmd, &text);
    if (out)
      *out = text;
    else if (rc != 0)
      std::fprintf(stderr, "%s: %s", what.c_str(), text.c_str());
    return rc;
  }
};

}  // namespace lvs::test
