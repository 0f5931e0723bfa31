// 2,000 veth ports on one bridge, idle (label "integration", root): their peers' IPv6
// link-local multicast (MLD, router and neighbour solicitations of fresh interfaces) must not
// keep the PMD busy or starve unicast, and deleting the ports takes about as long as adding them.
// Peers live in 20 namespaces of 100 (one namespace per peer would take minutes to make).
#include <sys/times.h>

#include <chrono>
#include <fstream>
#include <sstream>

#include "tests/robustness/daemon_env.hpp"

namespace lvs::test {
namespace {

constexpr int kPorts = 2000;
constexpr int kGroups = 20;

class PortScaleTest : public DaemonEnv {
 protected:
  // utime + stime of the daemon, in clock ticks.
  long cpu_ticks() {
    std::ifstream in("/proc/" + std::to_string(daemon) + "/stat");
    std::string s((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::istringstream f(s.substr(s.rfind(')') + 2));
    std::string field;
    long utime = 0, stime = 0;
    for (int i = 3; i <= 15 && f >> field; ++i) {
      if (i == 14) utime = std::stol(field);
      if (i == 15) stime = std::stol(field);
    }
    return utime + stime;
  }
  // Share of one core the daemon used over `d`.
  double cpu_share(std::chrono::milliseconds d) {
    const long t0 = cpu_ticks();
    std::this_thread::sleep_for(d);
    return static_cast<double>(cpu_ticks() - t0) / sysconf(_SC_CLK_TCK) /
           (static_cast<double>(d.count()) / 1000.0);
  }
  static double seconds_since(std::chrono::steady_clock::time_point t) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
  }
  // Average ping RTT in ms, -1 when a ping was lost.
  double ping_avg(const std::string& ns, const std::string& ip) {
    std::string out;
    if (in(ns, "ping -q -c 10 -i 0.05 -W 1 " + ip, &out) != 0) return -1;
    const size_t eq = out.find(" = ");
    if (eq == std::string::npos) return -1;
    return std::stod(out.substr(out.find('/', eq + 3) + 1));
  }
};

TEST_F(PortScaleTest, TwoThousandIdlePortsLeaveThePmdIdleAndDeleteAsFastAsAdd) {
  start("s");
  const std::string a = container("a", "br0", "10.79.0.1");
  const std::string b = container("b", "br0", "10.79.0.2");
  ASSERT_GT(ping_avg(a, "10.79.0.2"), 0);

  // 2,000 veth pairs in two `ip -batch` runs; the peers keep IPv6 on, as fresh veths do.
  const std::string batch = dir + "/veths", up = dir + "/up";
  {
    std::ofstream out(batch);
    for (int g = 0; g < kGroups; ++g) {
      const std::string ns = tag + "g" + std::to_string(g);
      ASSERT_EQ(add_netns(ns), 0);
      ASSERT_EQ(in(ns, "sysctl -qw net.ipv6.conf.all.disable_ipv6=0 "
                       "net.ipv6.conf.default.disable_ipv6=0"),
                0);
    }
    for (int i = 0; i < kPorts; ++i)
      out << "link add " << tag << "x" << i << " type veth peer name y" << i << " netns " << tag
          << "g" << i % kGroups << "\n";
    for (int i = 0; i < kPorts; ++i) out << "link set " << tag << "x" << i << " up\n";
  }
  ASSERT_EQ(run("ip -n " + host + " -batch " + batch), 0);
  for (int g = 0; g < kGroups; ++g) {
    std::ofstream out(up);
    for (int i = g; i < kPorts; i += kGroups) out << "link set y" << i << " up\n";
    out.close();
    ASSERT_EQ(run("ip -n " + tag + "g" + std::to_string(g) + " -batch " + up), 0);
  }
  std::string add = "", del = "";
  for (int i = 0; i < kPorts; ++i) {
    add += " -- add-port br0 " + tag + "x" + std::to_string(i);
    del += " -- del-port br0 " + tag + "x" + std::to_string(i);
  }
  auto t0 = std::chrono::steady_clock::now();
  ASSERT_EQ(vsctl(add.substr(4)), 0);
  const double add_s = seconds_since(t0);

  // Near idle once the peers' start-up multicast is over (it keeps coming for some seconds):
  // the PMD reads only ready sockets and sleeps, instead of trying 2,000 each iteration.
  double share = 1;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(40);
  while (std::chrono::steady_clock::now() < deadline && (share = cpu_share(2000ms)) > 0.15) {
  }
  EXPECT_LE(share, 0.15) << "vswitchd still uses " << share * 100 << "% of a core";
  const double rtt = ping_avg(a, "10.79.0.2");
  EXPECT_GT(rtt, 0) << "pings lost with 2,000 ports";
  EXPECT_LT(rtt, 5.0) << "ping RTT " << rtt << " ms with 2,000 ports";

  t0 = std::chrono::steady_clock::now();
  ASSERT_EQ(vsctl(del.substr(4)), 0);
  const double del_s = seconds_since(t0);
  EXPECT_LT(del_s, std::max(3 * add_s, 3.0)) << "add " << add_s << " s, delete " << del_s << " s";
  std::printf("2,000 ports: add %.2f s, delete %.2f s, idle CPU %.0f%% of a core, ping %.2f ms\n",
              add_s, del_s, share * 100, rtt);
  EXPECT_GT(ping_avg(a, "10.79.0.2"), 0);
}

}  // namespace
}  // namespace lvs::test
