#pragma once
// The robustness tests' vswitchd (label "integration", root): DaemonFixture with IPv4-only
// namespaces, containers joined to a bridge by veth pairs as system ports, and readers for the
// statistics, the FDB and the daemon's memory.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "tests/support/daemon_fixture.hpp"

namespace lvs::test {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

class DaemonEnv : public DaemonFixture {
 protected:
  // `letter` keeps names of tests running one after another apart (interface names <= 15).
  void start(const std::string& letter) {
    ipv4_only = true;
    DaemonFixture::start("lvr" + letter);
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
  // Resident memory of the daemon, KiB.
  long rss_kib() {
    std::ifstream in("/proc/" + std::to_string(daemon) + "/status");
    std::string line;
    while (std::getline(in, line))
      if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
    return -1;
  }
};

}  // namespace lvs::test
