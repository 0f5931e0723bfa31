// options:device=veth (the default) through the real vswitchd and vsctl, in a network namespace
// of the test's own playing the host (device=tap still makes a tap): the pair appears with the
// bridge, survives a kill -9 (a veth outlives the process, a tap does not), is replaced by the
// restarted daemon, and goes with del-br. Label "integration".
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>

#include "ctl/control_client.hpp"

namespace lvs::ctl {
namespace {

namespace fs = std::filesystem;

std::string capture(const std::string& cmd) {
  std::unique_ptr<FILE, decltype(&pclose)> p(popen((cmd + " 2>/dev/null").c_str(), "r"), pclose);
  std::string out;
  char buf[4096];
  while (p && std::fgets(buf, sizeof(buf), p.get())) out += buf;
  return out;
}

class InternalVethDaemonTest : public testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root (network namespaces)";
    ns = "lvt" + std::to_string(getpid()) + "iv";
    dir = "/tmp/lvs-iv-" + std::to_string(getpid());
    fs::remove_all(dir);
    fs::create_directories(dir);
    fs::permissions(dir, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                             fs::perms::others_read | fs::perms::others_exec);
    ASSERT_EQ(std::system(("ip netns add " + ns).c_str()), 0);
  }
  void TearDown() override {
    if (!ns.empty()) {
      kill_daemon(SIGKILL);
      std::system(("ip netns del " + ns + " 2>/dev/null").c_str());
    }
    fs::remove_all(dir);
  }
  void start() {
    const std::string cmd = "ip netns exec " + ns + " " + LVS_VSWITCHD + " --db " + dir +
                            "/conf.json --socket " + dir + "/sock --pidfile " + dir +
                            "/pid --log-file " + dir + "/log --detach";
    ASSERT_EQ(std::system(cmd.c_str()), 0);
    ControlClient c;
    ASSERT_FALSE(c.connect(dir + "/sock", 20000));
  }
  void kill_daemon(int sig) {
    std::ifstream in(dir + "/pid");
    pid_t pid = 0;
    if (!(in >> pid) || pid <= 0) return;
    ::kill(pid, sig);
    for (int i = 0; i < 200 && ::kill(pid, 0) == 0; ++i) ::usleep(10000);
  }
  int vsctl(const std::string& args) {
    return WEXITSTATUS(std::system(
        (std::string(LVS_VSCTL) + " --socket " + dir + "/sock -t 20 " + args + " >/dev/null 2>&1")
            .c_str()));
  }
  std::string in_ns(const std::string& cmd) { return capture("ip -n " + ns + " " + cmd); }
  int switch_ends() {  // interfaces named lvi<8 hex> whose peer is bv (not br0's, the default's)
    std::istringstream links(in_ns("-o link show"));
    int n = 0;
    for (std::string l; std::getline(links, l);)
      if (l.find(": lvi") != std::string::npos && l.find("@bv:") != std::string::npos) ++n;
    return n;
  }

  std::string ns, dir;
};

TEST_F(InternalVethDaemonTest, PairFollowsTheBridgeAcrossKillDashNineAndDelBr) {
  start();
  // The default device is the veth pair (br0, made on the first start); device=tap a tap.
  EXPECT_NE(in_ns("-d -o link show dev br0").find("veth"), std::string::npos);
  ASSERT_EQ(vsctl("add-br bt -- set interface bt options:device=tap"), 0);
  EXPECT_NE(in_ns("-d -o link show dev bt").find("tun type tap"), std::string::npos)
      << in_ns("-d -o link show dev bt");
  ASSERT_EQ(vsctl("add-br bv -- set interface bv options:ip=10.204.0.1/24 options:device=veth"), 0);
  EXPECT_NE(in_ns("-d -o link show dev bv").find("veth"), std::string::npos);
  EXPECT_NE(in_ns("-o addr show dev bv").find("10.204.0.1/24"), std::string::npos);
  EXPECT_EQ(switch_ends(), 1);
  const std::string mac = in_ns("-o link show dev bv");

  kill_daemon(SIGKILL);
  ASSERT_EQ(switch_ends(), 1);  // left behind: the restart must deal with it
  start();
  EXPECT_EQ(capture(std::string(LVS_VSCTL) + " --socket " + dir + "/sock get interface bv error"),
            "[]\n");
  EXPECT_NE(in_ns("-d -o link show dev bv").find("veth"), std::string::npos);
  EXPECT_NE(in_ns("-o addr show dev bv").find("10.204.0.1/24"), std::string::npos);
  EXPECT_EQ(switch_ends(), 1);
  // The same MAC after the restart (containers' ARP entries for their gateway stay right).
  const auto mac_of = [](const std::string& l) { return l.substr(l.find("link/ether")); };
  EXPECT_EQ(mac_of(in_ns("-o link show dev bv")), mac_of(mac));

  ASSERT_EQ(vsctl("del-br bv"), 0);
  EXPECT_EQ(in_ns("-o link show dev bv"), "");
  EXPECT_EQ(switch_ends(), 0);  // no veth left behind
}

}  // namespace
}  // namespace lvs::ctl
