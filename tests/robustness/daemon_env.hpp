#pragma once
// A running vswitchd for the robustness tests (label "integration", root): the daemon runs inside
// a network namespace that plays the host, containers are namespaces joined to the bridge by
// veth pairs the test makes. Every namespace, process and file a test makes is removed by the
// fixture's TearDown, whatever the test's outcome; nothing touches the machine's own namespace.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sched.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "ctl/control_client.hpp"
#include "tests/support/test_process.hpp"

namespace lvs::test {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

class DaemonEnv : public testing::Test {
 protected:
  // `letter` keeps names of tests running one after another apart (interface names <= 15).
  void start(const std::string& letter) {
    tag = "lvr" + letter + std::to_string(::getpid() % 100000);
    host = tag + "h";
    dir = "/tmp/" + tag;
    fs::remove_all(dir);
    fs::create_directories(dir);
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
    if (!dir.empty()) fs::remove_all(dir);
  }

  int add_netns(const std::string& name) {
    run("ip netns del " + name);  // a leftover of a crashed run with the same pid
    namespaces.push_back(name);
    if (int rc = run("ip netns add " + name)) return rc;
    // IPv4 only, as docker0: no IPv6 neighbour discovery or MLD multicast of its own.
    return run("ip netns exec " + name +
               " sh -c 'sysctl -qw net.ipv6.conf.all.disable_ipv6=1 "
               "net.ipv6.conf.default.disable_ipv6=1'");
  }

  void start_daemon() {
    const std::string log = dir + "/vswitchd.log";
    daemon = spawn_vswitchd_in_netns(LVS_VSWITCHD, host, db, sock, log);
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

  int vsctl(const std::string& args, std::string* out = nullptr) {
    std::string text;
    const int rc = run(std::string(LVS_VSCTL) + " --socket " + sock + " " + args, &text);
    if (out)
      *out = text;
    else if (rc != 0)
      std::fprintf(stderr, "vsctl %s: %s", args.c_str(), text.c_str());
    return rc;
  }
  nlohmann::json vsctl_json(const std::string& args) {
    std::string out;
    if (vsctl("--format json " + args, &out) != 0) return nullptr;
    return nlohmann::json::parse(out, nullptr, false);
  }
  // Interface statistics of `port` ({} when unknown).
  nlohmann::json stats(const std::string& port) {
    auto j = vsctl_json("get interface " + port + " statistics");
    return j.is_array() && !j.empty() ? j[0] : nlohmann::json::object();
  }
  uint64_t stat(const std::string& port, const std::string& key) {
    auto s = stats(port);
    return s.contains(key) ? s[key].get<uint64_t>() : 0;
  }
  nlohmann::json fdb_stats(const std::string& bridge) {
    auto j = vsctl_json("fdb/stats-show " + bridge);
    return j.is_array() && !j.empty() ? j[0] : j;
  }

  int in(const std::string& ns, const std::string& cmd, std::string* out = nullptr) {
    return run("ip netns exec " + ns + " " + cmd, out);
  }
  // Started in its own process group, killed by TearDown if still running.
  pid_t in_background(const std::string& ns, const std::string& cmd, const std::string& log) {
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
      std::this_thread::sleep_for(50ms);
    }
  }

  // A container: namespace `tag+suffix` with eth0 = the far end of a veth whose host end
  // (`tag+suffix`, in the host namespace) becomes port of `bridge`; address `ip`/24.
  std::string container(const std::string& suffix, const std::string& bridge,
                        const std::string& ip) {
    const std::string name = tag + suffix;
    EXPECT_EQ(add_netns(name), 0);
    EXPECT_EQ(
        run("ip link add " + name + " netns " + host + " type veth peer name eth0 netns " + name),
        0);
    EXPECT_EQ(in(name, "ip link set lo up"), 0);
    EXPECT_EQ(in(name, "ip addr add " + ip + "/24 dev eth0"), 0);
    EXPECT_EQ(in(name, "ip link set eth0 up"), 0);
    EXPECT_EQ(run("ip -n " + host + " link set " + name + " up"), 0);
    EXPECT_EQ(vsctl("add-port " + bridge + " " + name), 0);
    return name;
  }
  std::string mac_of(const std::string& ns, const std::string& ifname) {
    std::string out;
    in(ns, "cat /sys/class/net/" + ifname + "/address", &out);
    while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
    return out;
  }
  // Replies received by `ping -c count -i interval` (0 when it could not run).
  int ping_replies(const std::string& ns, const std::string& ip, int count, double interval) {
    std::string out;
    in(ns,
       "ping -q -n -c " + std::to_string(count) + " -i " + std::to_string(interval) + " -W 1 " + ip,
       &out);
    int sent = 0, received = 0;
    const auto at = out.find("packets transmitted");
    if (at == std::string::npos) return 0;
    std::sscanf(out.c_str() + out.rfind('\n', at) + 1, "%d packets transmitted, %d", &sent,
                &received);
    return received;
  }
  bool ping(const std::string& ns, const std::string& ip) {
    for (int i = 0; i < 5; ++i)
      if (in(ns, "ping -c 1 -W 1 " + ip) == 0) return true;
    return false;
  }
  // Resident memory of the daemon, KiB.
  long rss_kib() {
    std::ifstream in("/proc/" + std::to_string(daemon) + "/status");
    std::string line;
    while (std::getline(in, line))
      if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
    return -1;
  }

  std::string tag, host, dir, db, sock;
  pid_t daemon = -1;
  std::vector<std::string> namespaces;
  std::vector<pid_t> background;
};

}  // namespace lvs::test
