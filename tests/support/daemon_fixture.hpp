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
#include "tests/support/background_process.hpp"
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
    for (auto& p : background) p->kill();
    background.clear();
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
    background.push_back(
        std::make_unique<BackgroundProcess>("ip netns exec " + ns + " " + cmd, log));
    return background.back()->pid();
  }
  void kill_background(pid_t p) {
    if (BackgroundProcess* b = find_background(p)) b->kill();
    std::erase_if(background, [&](const auto& b) { return b->pid() == p; });
  }
  // Waits for a background command; its exit status (128 + signal when killed, -1 if it did not
  // end in time).
  int wait_for(pid_t p, std::chrono::seconds timeout) {
    BackgroundProcess* b = find_background(p);
    return b ? b->wait_exit(timeout) : -1;
  }
  BackgroundProcess* find_background(pid_t p) {
    for (auto& b : background)
      if (b->pid() == p) return b.get();
    return nullptr;
  }
  // Waits until something in namespace `ns` listens on TCP `port` (a server started in the
  // background is ready).
  bool wait_tcp_listening(const std::string& ns, int port,
                          std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    return test::wait_tcp_listening("ip netns exec " + ns, port, timeout);
  }

  std::vector<std::string> daemon_args;  // more vswitchd options, set before start()
  bool ipv4_only = false;                // add_netns turns IPv6 off in each namespace
  std::string tag, host, dir, db, sock;
  pid_t daemon = -1;
  std::vector<std::string> namespaces;
  std::vector<std::unique_ptr<BackgroundProcess>> background;

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
