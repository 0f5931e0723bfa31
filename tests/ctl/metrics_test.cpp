// vswitchd --metrics-address end to end (label "integration", root): the real vswitchd in a
// network namespace of this test process, two "containers" (namespaces with a veth each) on a
// bridge, a known number of pings between them, and a real Prometheus (Debian's 2.42) scraping
// /metrics every second: a PromQL query through its HTTP API gives back the frames sent, and
// `promtool check metrics` finds nothing to say about the output.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "ctl/control_client.hpp"

namespace lvs::ctl {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

int sh(const std::string& cmd) { return std::system((cmd + " >/dev/null 2>&1").c_str()); }

std::string capture(const std::string& cmd, int* rc = nullptr) {
  std::string out;
  FILE* f = ::popen((cmd + " 2>&1").c_str(), "r");
  if (!f) return out;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
  const int status = ::pclose(f);
  if (rc) *rc = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return out;
}

std::string slurp(const std::string& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// A TCP port nobody listens on in this (private) namespace.
int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

pid_t spawn(const std::vector<std::string>& args, const std::string& log) {
  const pid_t p = ::fork();
  if (p == 0) {
    FILE* f = std::fopen(log.c_str(), "w");
    ::dup2(fileno(f), 1);
    ::dup2(fileno(f), 2);
    std::vector<char*> argv;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  return p;
}

// SIGTERM, then SIGKILL after 5 s; returns the exit status (or -1).
int stop(pid_t& pid) {
  if (pid <= 0) return -1;
  ::kill(pid, SIGTERM);
  int status = 0;
  for (int i = 0; i < 500; ++i) {
    if (::waitpid(pid, &status, WNOHANG) == pid) {
      pid = -1;
      return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ::kill(pid, SIGKILL);
  ::waitpid(pid, &status, 0);
  pid = -1;
  return -1;
}

// Waits for a process to exit by itself; its status, or -1 after `timeout`.
int wait_exit(pid_t& pid, std::chrono::milliseconds timeout) {
  int status = 0;
  const auto end = Clock::now() + timeout;
  while (Clock::now() < end) {
    if (::waitpid(pid, &status, WNOHANG) == pid) {
      pid = -1;
      return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return -1;
}

class MetricsTest : public testing::Test {
 protected:
  void SetUp() override {
    // This process's own network namespace plays the host: vswitchd's br0, its NAT table and
    // every port it makes stay in it, and go with it. No IPv6: counts must be exact.
    ASSERT_EQ(::unshare(CLONE_NEWNET), 0) << "needs root (label integration)";
    ASSERT_EQ(sh("ip link set lo up"), 0);
    ASSERT_EQ(sh("sysctl -w net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1"),
              0);
    tag = "lvm" + std::to_string(::getpid());
    dir = "/tmp/lvs-m-" + std::to_string(::getpid());
    fs::remove_all(dir);
    fs::create_directories(dir);
    fs::permissions(dir, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                             fs::perms::others_read | fs::perms::others_exec);
    sock = dir + "/vswitchd.sock";
  }
  void TearDown() override {
    stop(prometheus);
    stop(vswitchd);
    for (const auto& ns : namespaces) sh("ip netns del " + ns);
    fs::remove_all(dir);
  }

  std::vector<std::string> vswitchd_args(const std::string& metrics_address) const {
    return {LVS_VSWITCHD,  "--db", dir + "/conf.json",  "--socket",     sock,
            "--log-level", "info", "--metrics-address", metrics_address};
  }
  void start_vswitchd(const std::string& metrics_address) {
    vswitchd = spawn(vswitchd_args(metrics_address), dir + "/vswitchd.log");
    ControlClient c;
    ASSERT_FALSE(c.connect(sock, 20000)) << slurp(dir + "/vswitchd.log");
  }
  std::string vsctl(const std::string& args) {
    int rc = 0;
    std::string out = capture(std::string(LVS_VSCTL) + " --socket " + sock + " " + args, &rc);
    EXPECT_EQ(rc, 0) << args << ": " << out;
    return out;
  }
  // A namespace with IPv6 off and one veth pair: `host_end` here, eth0 (with `cidr`) inside.
  void add_container(const std::string& name, const std::string& host_end,
                     const std::string& cidr) {
    const std::string ns = tag + name;
    ASSERT_EQ(sh("ip netns add " + ns), 0);
    namespaces.push_back(ns);
    const std::string in = "ip netns exec " + ns + " ";
    ASSERT_EQ(
        sh(in + "sysctl -w net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1"),
        0);
    ASSERT_EQ(sh("ip link add " + host_end + " type veth peer name eth0 netns " + ns), 0);
    ASSERT_EQ(sh("ip -n " + ns + " addr add " + cidr + " dev eth0"), 0);
    ASSERT_EQ(sh("ip -n " + ns + " link set lo up"), 0);
    ASSERT_EQ(sh("ip -n " + ns + " link set eth0 up"), 0);
    ASSERT_EQ(sh("ip link set " + host_end + " up"), 0);
  }
  // An instant PromQL query's one value, or -1 while it has none.
  double query(httplib::Client& api, const std::string& promql) {
    auto r = api.Get("/api/v1/query", httplib::Params{{"query", promql}}, httplib::Headers{});
    if (!r || r->status != 200) return -1;
    auto j = nlohmann::json::parse(r->body, nullptr, false);
    if (j.is_discarded() || j["status"] != "success") return -1;
    const auto& result = j["data"]["result"];
    if (!result.is_array() || result.size() != 1) return -1;
    return std::stod(result[0]["value"][1].get<std::string>());
  }

  std::string tag, dir, sock;
  std::vector<std::string> namespaces;
  pid_t vswitchd = -1, prometheus = -1;
};

TEST_F(MetricsTest, PrometheusScrapesThePacketsPingSent) {
  constexpr int kPings = 10;
  const int metrics_port = free_port();
  const std::string metrics = "127.0.0.1:" + std::to_string(metrics_port);
  start_vswitchd(metrics);
  add_container("a", "vma", "10.91.0.1/24");
  add_container("b", "vmb", "10.91.0.2/24");
  vsctl("add-br brm -- add-port brm vma -- add-port brm vmb");

  // Prometheus scrapes every second, storing in a directory of its own.
  const int api_port = free_port();
  std::ofstream(dir + "/prometheus.yml")
      << "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n  evaluation_interval: 1s\n"
      << "scrape_configs:\n  - job_name: lvs\n    static_configs:\n      - targets: ['" << metrics
      << "']\n";
  prometheus = spawn({"/usr/bin/prometheus", "--config.file=" + dir + "/prometheus.yml",
                      "--storage.tsdb.path=" + dir + "/tsdb",
                      "--web.listen-address=127.0.0.1:" + std::to_string(api_port)},
                     dir + "/prometheus.log");

  int rc = 0;
  const std::string ping = capture(
      "ip netns exec " + tag + "a ping -c " + std::to_string(kPings) + " -i 0.1 -W 2 10.91.0.2",
      &rc);
  ASSERT_EQ(rc, 0) << ping;
  ASSERT_NE(ping.find(std::to_string(kPings) + " received"), std::string::npos) << ping;

  // What vma received from container a: its ARP request and kPings echo requests (and at most
  // one or two ARP exchanges more); what vmb sent to b: the same frames.
  httplib::Client api("127.0.0.1", api_port);
  api.set_connection_timeout(1);
  api.set_read_timeout(2);
  const std::string rx =
      R"(lvs_interface_rx_packets_total{job="lvs",bridge="brm",interface="vma"})";
  const std::string tx =
      R"(lvs_interface_tx_packets_total{job="lvs",bridge="brm",interface="vmb"})";
  double got_rx = -1, got_tx = -1;
  const auto deadline = Clock::now() + std::chrono::seconds(20);
  while (Clock::now() < deadline) {
    got_rx = query(api, rx);
    got_tx = query(api, tx);
    if (got_rx >= kPings + 1 && got_tx >= kPings + 1) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  EXPECT_GE(got_rx, kPings + 1) << slurp(dir + "/prometheus.log") << slurp(dir + "/vswitchd.log");
  EXPECT_LE(got_rx, kPings + 3);
  EXPECT_GE(got_tx, kPings + 1);
  EXPECT_LE(got_tx, kPings + 3);
  EXPECT_EQ(query(api, R"(up{job="lvs"})"), 1);
  // Families are labelled, and aggregate as such: the drops of the bridge, by reason.
  EXPECT_EQ(query(api, R"(count(lvs_interface_drops_total{bridge="brm",interface="vma"}))"),
            query(api, R"(count(lvs_interface_drops_total{interface="br0"}))"));
  EXPECT_EQ(query(api, R"(lvs_bridge_ports{bridge="brm"})"), 3);

  // Every query of the Grafana dashboard is PromQL this Prometheus evaluates, and finds series.
  const auto dashboard = nlohmann::json::parse(std::ifstream(LVS_GRAFANA_DASHBOARD));
  size_t queries = 0;
  for (const auto& panel : dashboard["panels"])
    for (const auto& target : panel["targets"]) {
      std::string q = target["expr"];
      for (const auto& [var, value] : {std::pair{"$__rate_interval", "5s"},
                                       {"$instance", ".*"},
                                       {"$bridge", ".*"},
                                       {"$interface", ".*"}})
        for (size_t at; (at = q.find(var)) != std::string::npos;)
          q.replace(at, std::strlen(var), value);
      auto r = api.Get("/api/v1/query", httplib::Params{{"query", q}}, httplib::Headers{});
      ASSERT_TRUE(r);
      EXPECT_EQ(r->status, 200) << q << ": " << r->body;
      ++queries;
    }
  EXPECT_GT(queries, 15u);

  // promtool lints the exposition: no error and no warning.
  httplib::Client scraper("127.0.0.1", metrics_port);
  auto page = scraper.Get("/metrics");
  ASSERT_TRUE(page);
  ASSERT_EQ(page->status, 200);
  EXPECT_EQ(page->get_header_value("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
  std::ofstream(dir + "/metrics.txt") << page->body;
  const std::string lint = capture("promtool check metrics < " + dir + "/metrics.txt", &rc);
  EXPECT_EQ(rc, 0) << lint;
  EXPECT_EQ(lint, "");
  EXPECT_EQ(scraper.Get("/nothing")->status, 404);

  EXPECT_EQ(stop(vswitchd), 0) << slurp(dir + "/vswitchd.log");
}

TEST_F(MetricsTest, BadAddressStopsTheStartNamingIt) {
  for (const std::string bad : {"127.0.0.1:65536", "localhost:9477", "::1:9477"}) {
    pid_t p = spawn(vswitchd_args(bad), dir + "/bad.log");
    EXPECT_EQ(wait_exit(p, std::chrono::seconds(10)), 2) << bad;
    EXPECT_NE(slurp(dir + "/bad.log").find("--metrics-address: \"" + bad + "\""), std::string::npos)
        << slurp(dir + "/bad.log");
    if (p > 0) stop(p);
  }
  EXPECT_FALSE(fs::exists(sock));
}

TEST_F(MetricsTest, ServesIpv6AndRefusesAnAddressThatCannotBeBound) {
  ASSERT_EQ(sh("sysctl -w net.ipv6.conf.all.disable_ipv6=0 net.ipv6.conf.lo.disable_ipv6=0"), 0);
  // Held by someone else.
  const int fd = ::socket(AF_INET6, SOCK_STREAM, 0);
  sockaddr_in6 a{};
  a.sin6_family = AF_INET6;
  a.sin6_addr = in6addr_loopback;
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  ASSERT_EQ(::listen(fd, 1), 0);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  const std::string taken = "[::1]:" + std::to_string(ntohs(a.sin6_port));
  pid_t p = spawn(vswitchd_args(taken), dir + "/taken.log");
  EXPECT_EQ(wait_exit(p, std::chrono::seconds(20)), 1);
  EXPECT_NE(slurp(dir + "/taken.log")
                .find("--metrics-address " + taken + ": cannot listen: Address already in use"),
            std::string::npos)
      << slurp(dir + "/taken.log");
  if (p > 0) stop(p);
  // Once it is free, the same address serves.
  ::close(fd);
  start_vswitchd(taken);
  httplib::Client scraper("::1", ntohs(a.sin6_port));
  auto page = scraper.Get("/metrics");
  ASSERT_TRUE(page) << slurp(dir + "/vswitchd.log");
  EXPECT_EQ(page->status, 200);
  EXPECT_NE(page->body.find("\nlvs_interface_rx_packets_total{bridge=\"br0\",interface=\"br0\"} "),
            std::string::npos)
      << page->body;
  EXPECT_EQ(stop(vswitchd), 0);
  // Not a local address.
  p = spawn(vswitchd_args("192.0.2.1:9477"), dir + "/nonlocal.log");
  EXPECT_EQ(wait_exit(p, std::chrono::seconds(20)), 1);
  EXPECT_NE(
      slurp(dir + "/nonlocal.log")
          .find("--metrics-address 192.0.2.1:9477: cannot listen: Cannot assign requested address"),
      std::string::npos)
      << slurp(dir + "/nonlocal.log");
  if (p > 0) stop(p);
}

}  // namespace
}  // namespace lvs::ctl
