// Starts the real vswitchd (temp socket and database, net_null DPDK ports) and drives it with the
// real vsctl. Label "integration".
#include <gtest/gtest.h>
#include <sched.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>

#include "ctl/control_client.hpp"
#include "ctl/control_server.hpp"
#include "ctl/database.hpp"

namespace lvs::ctl {
namespace {

namespace fs = std::filesystem;

std::string slurp(const std::string& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

class DaemonTest : public testing::Test {
 protected:
  void SetUp() override {
    dir = "/tmp/lvs-d-" + std::to_string(getpid());
    fs::remove_all(dir);
    fs::create_directories(dir);
    db = dir + "/conf.json";
    sock = dir + "/vswitchd.sock";
    pidfile = dir + "/vswitchd.pid";
  }
  void TearDown() override {
    if (pid > 0) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
    }
    fs::remove_all(dir);
  }

  // Starts vswitchd in the foreground (as a child); returns its pid. Output goes to `log`.
  pid_t spawn(const std::string& db_path, const std::string& sock_path, const std::string& log) {
    const pid_t p = ::fork();
    if (p == 0) {
      FILE* f = std::fopen(log.c_str(), "w");
      ::dup2(fileno(f), 1);
      ::dup2(fileno(f), 2);
      // A network namespace of its own: the default br0 (a tap with 172.17.0.1/16) and its NAT
      // table must not land on the machine running the tests.
      if (::unshare(CLONE_NEWNET) != 0) ::_exit(126);
      ::execl(LVS_VSWITCHD, "vswitchd", "--db", db_path.c_str(), "--socket", sock_path.c_str(),
              "--pidfile", pidfile.c_str(), "--log-level", "info", nullptr);
      ::_exit(127);
    }
    return p;
  }
  void start() {
    pid = spawn(db, sock, dir + "/log");
    ControlClient c;
    ASSERT_FALSE(c.connect(sock, 20000)) << slurp(dir + "/log");
  }
  int stop(int sig = SIGTERM) {
    ::kill(pid, sig);
    int status = 0;
    ::waitpid(pid, &status, 0);
    pid = -1;
    return status;
  }
  // Runs vsctl; returns exit status, fills out (stdout) and err (stderr).
  int vsctl(const std::string& args, std::string* out = nullptr, std::string* err = nullptr) {
    const std::string o = dir + "/out", e = dir + "/err";
    const std::string cmd = std::string(LVS_VSCTL) + " --socket " + sock + " -t 20 " + args + " >" + o + " 2>" + e;
    const int rc = std::system(cmd.c_str());
    if (out) *out = slurp(o);
    if (err) *err = slurp(e);
    return WEXITSTATUS(rc);
  }

  std::string dir, db, sock, pidfile;
  pid_t pid = -1;
};

TEST_F(DaemonTest, FirstStartCreatesBr0AndErrorsChangeNothing) {
  start();
  std::string out, err;
  EXPECT_EQ(vsctl("list-br", &out), 0);
  EXPECT_EQ(out, "br0\n");
  EXPECT_TRUE(fs::exists(db));
  const std::string before = slurp(db);
  EXPECT_EQ(vsctl("add-br br1 -- add-port br1 p1 tag=x", &out, &err), 1);
  EXPECT_EQ(err, "vsctl: tag: \"x\" is not a VLAN id (0..4095)\n");
  EXPECT_EQ(slurp(db), before);
  EXPECT_EQ(vsctl("list-br", &out), 0);
  EXPECT_EQ(out, "br0\n");
  EXPECT_EQ(vsctl("br-exists br1"), 2);
  EXPECT_EQ(vsctl("no-such-command", &out, &err), 1);
  EXPECT_EQ(err, "vsctl: unknown command \"no-such-command\"; try vsctl --help\n");
}

TEST_F(DaemonTest, RestartRestoresBridgesPortsVlansAndStaticMacs) {
  start();
  ASSERT_EQ(vsctl("add-br br1 -- set bridge br1 other_config:mac-aging-time=60 "
                  "-- add-port br1 n0 type=dpdk options:dpdk-devargs=net_null0 tag=10 "
                  "-- add-port br1 n1 type=dpdk options:dpdk-devargs=net_null1 trunks=10,20 vlan_mode=native-untagged tag=20 "
                  "-- add-port br1 gone0 -- fdb/add br1 n0 10 00:11:22:33:44:55"),
            0);
  std::string show1, fdb1, err;
  ASSERT_EQ(vsctl("show", &show1), 0);
  EXPECT_NE(show1.find("error: \"no interface named 'gone0'\""), std::string::npos) << show1;
  ASSERT_EQ(vsctl("fdb/show br1", &fdb1), 0);
  EXPECT_NE(fdb1.find(" n0                 10  00:11:22:33:44:55  static"), std::string::npos) << fdb1;
  std::string stats;
  ASSERT_EQ(vsctl("get interface n0 statistics:rx_packets", &stats), 0);

  EXPECT_TRUE(WIFEXITED(stop()));
  EXPECT_FALSE(fs::exists(sock));
  EXPECT_FALSE(fs::exists(pidfile));

  start();
  std::string show2, fdb2, aging, vlan;
  ASSERT_EQ(vsctl("show", &show2), 0);
  EXPECT_EQ(show2, show1);
  ASSERT_EQ(vsctl("fdb/show br1", &fdb2), 0);
  EXPECT_NE(fdb2.find(" n0                 10  00:11:22:33:44:55  static"), std::string::npos) << fdb2;
  ASSERT_EQ(vsctl("get bridge br1 other_config:mac-aging-time -- get port n1 trunks vlan_mode tag", &aging), 0);
  EXPECT_EQ(aging, "\"60\"\n[10, 20]\nnative-untagged\n20\n");
  EXPECT_EQ(vsctl("get interface n0 error", &err), 0);
  EXPECT_EQ(err, "[]\n");
}

TEST_F(DaemonTest, CorruptDatabaseIsRefusedAndNotOverwritten) {
  const std::string garbage = "{\"schema_version\": 1, \"bridges\": [ {\"name\": ";
  { std::ofstream(db) << garbage; }
  const pid_t p = spawn(db, sock, dir + "/log");
  int status = 0;
  ::waitpid(p, &status, 0);
  EXPECT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 1);
  const std::string log = slurp(dir + "/log");
  EXPECT_NE(log.find("database " + db + ": not valid JSON"), std::string::npos) << log;
  EXPECT_EQ(slurp(db), garbage);
  { std::ofstream(db, std::ios::trunc) << "{\"schema_version\": 1, \"bridges\": [{\"name\": \"br0\", \"ports\": [{\"name\": \"p\", \"tag\": 9999}]}]}"; }
  const pid_t p2 = spawn(db, sock, dir + "/log");
  ::waitpid(p2, &status, 0);
  EXPECT_EQ(WEXITSTATUS(status), 1);
  EXPECT_NE(slurp(dir + "/log").find("port p: tag 9999 is not in 0..4095"), std::string::npos);
}

TEST_F(DaemonTest, SecondDaemonOnSameSocketOrDatabaseRefuses) {
  start();
  int status = 0;
  const pid_t same_db = spawn(db, dir + "/other.sock", dir + "/log2");
  ::waitpid(same_db, &status, 0);
  EXPECT_EQ(WEXITSTATUS(status), 1);
  EXPECT_NE(slurp(dir + "/log2").find("is in use by another vswitchd"), std::string::npos);
  const pid_t same_sock = spawn(dir + "/other.json", sock, dir + "/log3");
  ::waitpid(same_sock, &status, 0);
  EXPECT_EQ(WEXITSTATUS(status), 1);
  EXPECT_NE(slurp(dir + "/log3").find("another vswitchd is already serving on " + sock), std::string::npos);
  std::string out;
  EXPECT_EQ(vsctl("list-br", &out), 0);  // the first one is unharmed
}

TEST_F(DaemonTest, BadRequestsDoNotStopServing) {
  start();
  ControlClient c;
  ASSERT_FALSE(c.connect(sock, 2000));
  EXPECT_EQ(nlohmann::json::parse(*c.call_raw("][\n", 2000))["error"]["code"], "bad_request");
  EXPECT_EQ((*c.call({{"method", "destroy"}}, 2000))["error"]["code"], "unknown_method");
  auto big = c.call_raw(std::string(kMaxRequestBytes + 1, ' ') + "x", 5000);
  ASSERT_TRUE(big.ok());
  EXPECT_EQ(nlohmann::json::parse(*big)["error"]["code"], "too_large");
  std::string out;
  EXPECT_EQ(vsctl("list-br", &out), 0);
  EXPECT_EQ(out, "br0\n");
}

TEST_F(DaemonTest, KillDashNineDuringABurstNeverLeavesAnUnreadableDatabase) {
  std::mt19937 rng(42);
  for (int round = 0; round < 4; ++round) {
    start();
    std::atomic<bool> done{false};
    std::atomic<int> committed{0};
    std::thread writer([&] {
      ControlClient c;
      if (c.connect(sock, 2000)) return;
      for (int i = 0; !done; ++i) {
        const std::string p = "r" + std::to_string(round) + "p" + std::to_string(i % 50);
        nlohmann::json req{{"method", "transact"},
                           {"params", {{"commands", {{"--may-exist", "add-port", "br0", p, "tag=" + std::to_string(i % 4000)},
                                                     {"set", "bridge", "br0", "external_ids:n=" + std::to_string(i)}}}}}};
        if (!c.call(req, 2000).ok()) break;
        ++committed;
      }
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(100 + rng() % 200));
    stop(SIGKILL);
    done = true;
    writer.join();
    EXPECT_GT(committed.load(), 0);
    auto loaded = load_database(db);
    ASSERT_TRUE(loaded.ok()) << loaded.error().message;
    ASSERT_TRUE(loaded->has_value());
  }
  // And the daemon starts again on what was left (stale socket file and all).
  start();
  std::string out;
  EXPECT_EQ(vsctl("list-br", &out), 0);
}

TEST_F(DaemonTest, PmdSleepOffStopsWakeupsAdaptiveBringsThemBackAndRestartKeepsIt) {
  start();
  // Total wake-ups of all PMDs, as dpif/pmd-stats-show reports them.
  auto wakeups = [&]() -> uint64_t {
    std::string out;
    EXPECT_EQ(vsctl("--format json dpif/pmd-stats-show", &out), 0);
    uint64_t n = 0;
    for (const auto& p : nlohmann::json::parse(out)) n += p["wakeups"].get<uint64_t>();
    return n;
  };
  auto eventually_grows = [&] {
    const uint64_t first = wakeups();
    for (int i = 0; i < 50; ++i) {  // up to 5 s; an idle PMD wakes at least every 200 ms
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      if (wakeups() > first) return true;
    }
    return false;
  };
  EXPECT_TRUE(eventually_grows());  // adaptive is the default

  ASSERT_EQ(vsctl("set Open_vSwitch . other_config:pmd-sleep=off"), 0);
  // Counters are published every 1024 polls: let the last wake-up show before measuring.
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  const uint64_t before = wakeups();
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(wakeups(), before);
  std::string out;
  ASSERT_EQ(vsctl("dpif/pmd-stats-show", &out), 0);
  EXPECT_NE(out.find("  sleep cycles: "), std::string::npos) << out;
  EXPECT_NE(out.find("  wake-ups: "), std::string::npos) << out;

  ASSERT_EQ(
      vsctl("set Open_vSwitch . other_config:pmd-sleep=adaptive other_config:pmd-quiet-us=50"), 0);
  EXPECT_TRUE(eventually_grows());

  ASSERT_EQ(vsctl("set Open_vSwitch . other_config:pmd-sleep=off"), 0);
  EXPECT_TRUE(WIFEXITED(stop()));
  start();
  ASSERT_EQ(vsctl("get Open_vSwitch . other_config:pmd-sleep other_config:pmd-quiet-us", &out), 0);
  EXPECT_EQ(out, "off\n\"50\"\n");
  // Applied at start too: no wake-ups while off.
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  const uint64_t after_restart = wakeups();
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(wakeups(), after_restart);
}

TEST_F(DaemonTest, ManyVsctlClientsAtOnce) {
  start();
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int i = 0; i < 16; ++i) {
    threads.emplace_back([&, i] {
      for (int j = 0; j < 5; ++j) {
        auto r = transact(sock, {{"add-port", "br0", "m" + std::to_string(i) + "x" + std::to_string(j)}}, 10000);
        if (r.ok() && r->contains("result")) ++ok;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 80);
  std::string out;
  ASSERT_EQ(vsctl("list-ports br0", &out), 0);
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 80);
}

}  // namespace
}  // namespace lvs::ctl
