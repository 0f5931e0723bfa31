// vhost-user ports end to end (label "integration", root): the real vswitchd in a namespace that
// plays the host, a veth container attached with vsattach, and `dpdk-testpmd` with a virtio_user
// port as the DPDK container (--forward-mode=icmpecho answers ARP and ICMP echo for any address).
// The container pings through the switch; testpmd is killed and restarted and traffic resumes
// without disturbing the other ports. The fixture's guard removes every namespace, process and
// file.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sched.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

#include "ctl/control_client.hpp"
#include "tests/support/daemon_fixture.hpp"

namespace lvs::ctl {
namespace {

namespace fs = std::filesystem;
using test::run;
using test::slurp;
using namespace std::chrono_literals;

constexpr const char* kTestpmd = "/usr/bin/dpdk-testpmd";

bool is_socket(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISSOCK(st.st_mode);
}

class VhostUserTest : public test::DaemonFixture {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root (network namespaces)";
    if (::access(kTestpmd, X_OK) != 0) GTEST_SKIP() << "needs dpdk-testpmd (package dpdk-dev)";
    // Two PMD threads: the one-queue virtio_user peer gets frames from both (tx queue remap).
    daemon_args = {"--pmd-cores", "0,1"};
    start("lvv");
    if (HasFatalFailure()) return;
    ASSERT_EQ(vsctl("add-br brt -- set interface brt options:ip=10.77.0.1/24"), 0);
    c1 = tag + "c1";
    ASSERT_EQ(add_netns(c1), 0);
    ASSERT_EQ(vsattach("brt " + c1 + " 10.77.0.2/24"), 0);
  }

  void TearDown() override {
    stop_testpmd();
    DaemonFixture::TearDown();
  }

  std::string get(const std::string& column) {
    std::string out;
    vsctl("get interface " + column, &out);
    while (!out.empty() && (out.back() == '\n' || out.back() == '"')) out.pop_back();
    if (!out.empty() && out.front() == '"') out.erase(0, 1);
    return out;
  }
  // Polls until `get(column)` reads `value` (the vhost event thread works asynchronously).
  bool wait_for(const std::string& column, const std::string& value,
                std::chrono::seconds limit = 20s) {
    const auto end = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < end) {
      if (get(column) == value) return true;
      std::this_thread::sleep_for(100ms);
    }
    return false;
  }

  // The DPDK container: testpmd with one virtio_user port on `path` (server=1: it serves the socket
  // and the switch connects), answering ARP and ping. Memory is a memfd (--no-huge with
  // --single-file-segments) that vhost-user can share, so no hugepages are needed.
  void start_testpmd(const std::string& path, bool server) {
    stop_testpmd();
    // A killed server leaves its socket behind; a DPDK app removes it before serving again.
    if (server) fs::remove(path);
    const std::string log = dir + "/testpmd.log";
    testpmd = ::fork();
    if (testpmd == 0) {
      ::setpgid(0, 0);
      const int null = ::open("/dev/null", O_RDONLY);
      const int out = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      ::dup2(null, 0);
      ::dup2(out, 1);
      ::dup2(out, 2);
      // A fixed MAC, as a restarted container keeps its own: the veth container's ARP entry stays
      // right.
      const std::string vdev =
          "net_virtio_user0,mac=02:00:00:00:00:09,path=" + path + (server ? ",server=1" : "");
      const std::string prefix = "--file-prefix=" + tag + "t";
      ::execl(kTestpmd, "dpdk-testpmd", "-l", "0,1", "--no-huge", "-m", "256", "--no-shconf",
              "--single-file-segments", prefix.c_str(), "--no-pci", "--vdev", vdev.c_str(), "--",
              "--no-mlockall", "--total-num-mbufs=2048", "--forward-mode=icmpecho",
              "--stats-period=1", nullptr);
      ::_exit(127);
    }
  }
  void stop_testpmd() {
    if (testpmd <= 0) return;
    ::kill(-testpmd, SIGKILL);
    ::waitpid(testpmd, nullptr, 0);
    testpmd = -1;
  }
  long counter(const std::string& port, const std::string& name) {
    const std::string v = get(port + " statistics:" + name);
    return v.empty() ? -1 : std::stol(v);
  }

  // Traffic both ways through the vhost port, seen by the container and by the switch's counters.
  void expect_traffic(const std::string& port) {
    const long rx = counter(port, "rx_packets"), tx = counter(port, "tx_packets");
    EXPECT_TRUE(ping(c1, "10.77.0.9"))
        << slurp(dir + "/testpmd.log").substr(0, 4000) << slurp(dir + "/vswitchd.log");
    std::string out;
    EXPECT_EQ(run("ip netns exec " + c1 + " ping -q -c 10 -i 0.05 -W 1 10.77.0.9", &out), 0) << out;
    EXPECT_NE(out.find(" 0% packet loss"), std::string::npos) << out;
    EXPECT_GE(counter(port, "rx_packets"), rx + 10);  // echo replies from testpmd
    EXPECT_GE(counter(port, "tx_packets"), tx + 10);  // echo requests to testpmd
  }

  std::string c1;
  pid_t testpmd = -1;
};

TEST_F(VhostUserTest, ServerPortCarriesPingToADpdkContainerAndSurvivesItsRestart) {
  ASSERT_EQ(vsctl("add-port brt vhu0 -- set interface vhu0 type=dpdkvhostuser"), 0);
  const std::string path = dir + "/vhu0";  // the daemon's run directory + the port name
  ASSERT_TRUE(is_socket(path)) << slurp(dir + "/vswitchd.log");
  EXPECT_EQ(get("vhu0 error"), "[]");
  EXPECT_EQ(get("vhu0 link_state"), "down");  // nobody connected yet
  EXPECT_NE(get("vhu0 mac_in_use"), "[]");

  start_testpmd(path, false);
  ASSERT_TRUE(wait_for("vhu0 link_state", "up")) << slurp(dir + "/testpmd.log");
  expect_traffic("vhu0");
  // From the host too (the bridge's own port): with two PMD threads, the container's veth and
  // this port are polled by different ones, each sending on its own queue of vhu0.
  std::string pmds;
  vsctl("dpif/pmd-stats-show", &pmds);
  EXPECT_TRUE(ping(host, "10.77.0.9")) << pmds;

  // The DPDK container dies: the port goes down, the others carry on.
  stop_testpmd();
  EXPECT_TRUE(wait_for("vhu0 link_state", "down"));
  EXPECT_TRUE(ping(c1, "10.77.0.1"));  // the bridge's own port, in the host
  EXPECT_FALSE(ping(c1, "10.77.0.9", 1));

  // It comes back on the same socket: traffic resumes.
  start_testpmd(path, false);
  ASSERT_TRUE(wait_for("vhu0 link_state", "up")) << slurp(dir + "/testpmd.log");
  expect_traffic("vhu0");

  // The switch is killed: its socket stays behind, and the restarted daemon serves it again.
  stop_daemon(SIGKILL);
  start_daemon();
  ASSERT_TRUE(is_socket(path)) << slurp(dir + "/vswitchd.log");
  start_testpmd(path, false);  // a virtio_user client does not reconnect by itself
  ASSERT_TRUE(wait_for("vhu0 link_state", "up")) << slurp(dir + "/testpmd.log");
  expect_traffic("vhu0");

  // del-port closes the device and removes its socket.
  ASSERT_EQ(vsctl("del-port brt vhu0"), 0);
  EXPECT_FALSE(fs::exists(path));
  std::string show;
  vsctl("show", &show);
  EXPECT_TRUE(ping(c1, "10.77.0.1")) << show << slurp(dir + "/vswitchd.log");
}

TEST_F(VhostUserTest, ClientPortConnectsToTheContainerAndReconnectsWhenItRestarts) {
  const std::string path = dir + "/dpdk0.sock";
  // The port exists before its server: it stays down, without error, and keeps trying.
  ASSERT_EQ(vsctl("add-port brt vhc0 -- set interface vhc0 type=dpdkvhostuserclient "
                  "options:vhost-server-path=" +
                  path),
            0);
  EXPECT_EQ(get("vhc0 error"), "[]");
  EXPECT_EQ(get("vhc0 link_state"), "down");

  start_testpmd(path, true);
  ASSERT_TRUE(wait_for("vhc0 link_state", "up")) << slurp(dir + "/testpmd.log");
  expect_traffic("vhc0");

  stop_testpmd();
  EXPECT_TRUE(wait_for("vhc0 link_state", "down"));
  EXPECT_TRUE(ping(c1, "10.77.0.1"));

  start_testpmd(path, true);
  ASSERT_TRUE(wait_for("vhc0 link_state", "up")) << slurp(dir + "/testpmd.log");
  expect_traffic("vhc0");
}

TEST_F(VhostUserTest, BadSocketPathsAreRefusedAndChangeNothing) {
  std::string out;
  EXPECT_NE(vsctl("add-port brt vhc1 -- set interface vhc1 type=dpdkvhostuserclient", &out), 0);
  EXPECT_NE(out.find("type dpdkvhostuserclient needs options:vhost-server-path"), std::string::npos)
      << out;
  EXPECT_NE(vsctl("add-port brt vhc1 -- set interface vhc1 type=dpdkvhostuserclient "
                  "options:vhost-server-path=relative.sock",
                  &out),
            0);
  EXPECT_NE(out.find("is not absolute"), std::string::npos) << out;
  ASSERT_EQ(vsctl("list-ports brt", &out), 0);
  EXPECT_EQ(out.find("vhc1"), std::string::npos) << out;
}

}  // namespace
}  // namespace lvs::ctl
