// Starts the real vswitchd (temp socket and database, net_null DPDK ports) and drives it with the
// real vsctl. Label "integration".
#include <gtest/gtest.h>
#include <sched.h>
#include <signal.h>
#include <grp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
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
    // 0755 whatever the umask: vswitchd refuses a directory others may write.
    fs::permissions(dir, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                             fs::perms::others_read | fs::perms::others_exec);
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
      std::vector<const char*> argv = {"vswitchd",           "--db",        db_path.c_str(),
                                       "--socket",           sock_path.c_str(), "--pidfile",
                                       pidfile.c_str(),      "--log-level", "info"};
      for (const auto& a : extra_args) argv.push_back(a.c_str());
      argv.push_back(nullptr);
      ::execv(LVS_VSWITCHD, const_cast<char* const*>(argv.data()));
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
  std::vector<std::string> extra_args;  // more vswitchd options for the next start()
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

TEST_F(DaemonTest, KillDashNineDuringAThousandChangesKeepsTheLastAcknowledgedOne) {
  // Each change sets external_ids:n to a counter; at any kill -9 the database must hold the last
  // acknowledged value or the one in flight (written, not yet acknowledged): never older, never
  // unreadable. Rounds go on until 1,000 changes have been acknowledged.
  std::mt19937 rng(42);
  int total = 0, next = 0;
  for (int round = 0; total < 1000 && round < 200; ++round) {
    start();
    const int first = next;
    std::atomic<bool> done{false};
    std::atomic<int> acked{-1};
    std::thread writer([&] {
      ControlClient c;
      if (c.connect(sock, 2000)) return;
      while (!done) {
        const int n = next;
        const std::string p = "p" + std::to_string(n % 50);
        nlohmann::json req{{"method", "transact"},
                           {"params", {{"commands", {{"--may-exist", "add-port", "br0", p, "tag=" + std::to_string(n % 4000)},
                                                     {"set", "bridge", "br0", "external_ids:n=" + std::to_string(n)}}}}}};
        ++next;
        auto r = c.call(req, 2000);
        if (!r.ok() || !r->contains("result")) break;
        acked = n;
      }
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(50 + rng() % 600));
    stop(SIGKILL);
    done = true;
    writer.join();
    auto loaded = load_database(db);
    ASSERT_TRUE(loaded.ok()) << loaded.error().message;
    ASSERT_TRUE(loaded->has_value());
    const int a = acked.load();
    if (a < 0) continue;
    total += a - first + 1;
    const auto& br = (*loaded)->bridges.front();
    const auto it = br.external_ids.find("n");
    ASSERT_NE(it, br.external_ids.end());
    const int stored = std::stoi(it->second);
    EXPECT_TRUE(stored == a || stored == a + 1) << "acknowledged " << a << ", database holds " << stored;
  }
  EXPECT_GE(total, 1000);
  // The daemon starts again on what was left (stale socket file and all), with every port back.
  start();
  std::string out;
  EXPECT_EQ(vsctl("list-ports br0", &out), 0);
  auto loaded = load_database(db);
  ASSERT_TRUE(loaded.ok() && loaded->has_value());
  std::string expected;
  std::vector<std::string> names;
  for (const auto& p : (*loaded)->bridges.front().ports)
    if (p.name != "br0") names.push_back(p.name);
  std::sort(names.begin(), names.end());
  for (const auto& n : names) expected += n + "\n";
  EXPECT_EQ(out, expected);
}

TEST_F(DaemonTest, CapabilitiesNotNeededAreDroppedAndPortsStillWork) {
  start();
  auto caps = [&](const std::string& field) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/status");
    for (std::string line; std::getline(in, line);)
      if (line.rfind(field + ":", 0) == 0) return std::stoull(line.substr(field.size() + 1), nullptr, 16);
    return ~0ull;
  };
  // Every thread: capabilities are per thread, and the PMD and DPDK threads must have none extra.
  for (const auto& t : fs::directory_iterator("/proc/" + std::to_string(pid) + "/task")) {
    std::ifstream in(t.path() / "status");
    for (std::string line; std::getline(in, line);) {
      if (line.rfind("CapEff:", 0) != 0 && line.rfind("CapBnd:", 0) != 0) continue;
      const auto v = std::stoull(line.substr(7), nullptr, 16);
      EXPECT_FALSE(v & (1ull << 16)) << t.path() << " " << line;  // CAP_SYS_MODULE
      EXPECT_FALSE(v & (1ull << 19)) << t.path() << " " << line;  // CAP_SYS_PTRACE
      EXPECT_FALSE(v & (1ull << 0)) << t.path() << " " << line;   // CAP_CHOWN
    }
  }
  EXPECT_TRUE(caps("CapEff") & (1ull << 12));  // CAP_NET_ADMIN stays: ports need it
  EXPECT_TRUE(caps("CapEff") & (1ull << 13));  // CAP_NET_RAW
  EXPECT_EQ(caps("NoNewPrivs"), 1u);
  // Ports that need what was kept still come up after the drop: an internal (tap) port.
  std::string out, err;
  EXPECT_EQ(vsctl("add-port br0 tapx -- set interface tapx type=internal", &out, &err), 0) << err;
  EXPECT_EQ(vsctl("get interface tapx error", &out, &err), 0) << err;
  EXPECT_EQ(out, "[]\n");  // no error set on the port
  // And the database is private.
  struct stat st{};
  ASSERT_EQ(::stat(db.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST_F(DaemonTest, ControlSocketGroupAndPeerCredentials) {
  extra_args = {"--socket-group", "4242"};
  start();
  struct stat st{};
  ASSERT_EQ(::stat(sock.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0660u);
  EXPECT_EQ(st.st_gid, 4242u);
  // A loosened mode lets anyone connect; the credentials check still refuses strangers.
  ASSERT_EQ(::chmod(sock.c_str(), 0666), 0);
  ASSERT_EQ(::chmod(dir.c_str(), 0755), 0);
  // Runs one request as uid 65534 with primary group `gid`; returns the reply (or "" on failure).
  auto ask_as = [&](gid_t gid) {
    int pipefd[2];
    if (::pipe(pipefd) != 0) return std::string("pipe failed");
    const pid_t child = ::fork();
    if (child == 0) {
      ::close(pipefd[0]);
      const gid_t none[] = {gid};
      if (::setgroups(1, none) != 0 || ::setgid(gid) != 0 || ::setuid(65534) != 0) ::_exit(3);
      ControlClient c;
      std::string reply = "connect failed";
      if (!c.connect(sock, 2000)) {
        auto r = c.call_raw(R"({"method":"transact","params":{"commands":[["list-br"]]}})" "\n", 2000);
        reply = r.ok() ? *r : "call failed: " + r.error().message;
      }
      if (::write(pipefd[1], reply.data(), reply.size()) < 0) ::_exit(4);
      ::_exit(0);
    }
    ::close(pipefd[1]);
    std::string reply;
    char buf[4096];
    for (ssize_t n; (n = ::read(pipefd[0], buf, sizeof(buf))) > 0;) reply.append(buf, static_cast<size_t>(n));
    ::close(pipefd[0]);
    ::waitpid(child, nullptr, 0);
    return reply;
  };
  const std::string stranger = ask_as(65534);
  EXPECT_NE(stranger.find("\"permission\""), std::string::npos) << stranger;
  EXPECT_NE(stranger.find("uid 65534"), std::string::npos) << stranger;
  const std::string member = ask_as(4242);
  EXPECT_NE(member.find("br0"), std::string::npos) << member;
  EXPECT_EQ(member.find("error"), std::string::npos) << member;
  // The daemon served on.
  std::string out;
  EXPECT_EQ(vsctl("list-br", &out), 0);
  EXPECT_EQ(out, "br0\n");
}

TEST_F(DaemonTest, UnknownSocketGroupIsRefusedAtStart) {
  extra_args = {"--socket-group", "no-such-group-xyz"};
  pid = spawn(db, sock, dir + "/log");
  int status = 0;
  ::waitpid(pid, &status, 0);
  pid = -1;
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) != 0);
  EXPECT_NE(slurp(dir + "/log").find("no group named \"no-such-group-xyz\""), std::string::npos) << slurp(dir + "/log");
  EXPECT_FALSE(fs::exists(sock));
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

// vsctl vlog/set changes the running daemon's level: no debug line before, one per request after,
// none again after vlog/set info; a bad level is refused and changes nothing.
TEST_F(DaemonTest, VlogSetChangesTheLogLevelAtRunTime) {
  start();
  const std::string log = dir + "/log";
  std::string out, err;
  ASSERT_EQ(vsctl("list-br", &out), 0);
  EXPECT_EQ(slurp(log).find("|vswitchd|dbg|"), std::string::npos) << slurp(log);
  ASSERT_EQ(vsctl("vlog/list", &out), 0);
  EXPECT_EQ(out, "vswitchd: info\n");

  EXPECT_EQ(vsctl("vlog/set loud", &out, &err), 1);
  EXPECT_EQ(err, "vsctl: vlog/set: \"loud\" is not a log level (error, warn, info or debug)\n");
  ASSERT_EQ(vsctl("vlog/list", &out), 0);
  EXPECT_EQ(out, "vswitchd: info\n");

  ASSERT_EQ(vsctl("vlog/set debug", &out, &err), 0) << err;
  EXPECT_NE(slurp(log).find("|vswitchd|info|log level info -> debug (vlog/set)\n"), std::string::npos)
      << slurp(log);
  ASSERT_EQ(vsctl("list-br", &out), 0);
  const std::string debug_log = slurp(log);
  EXPECT_NE(debug_log.find("|vswitchd|dbg|transaction done (list-br)\n"), std::string::npos) << debug_log;
  ASSERT_EQ(vsctl("vlog/list", &out), 0);
  EXPECT_EQ(out, "vswitchd: debug\n");

  ASSERT_EQ(vsctl("vlog/set info"), 0);
  auto debug_lines = [&] {
    const std::string text = slurp(log);
    size_t n = 0;
    for (size_t at = text.find("|dbg|"); at != std::string::npos; at = text.find("|dbg|", at + 1)) ++n;
    return n;
  };
  const size_t before = debug_lines();
  ASSERT_EQ(vsctl("add-br br7"), 0);
  EXPECT_EQ(debug_lines(), before) << slurp(log);
  EXPECT_EQ(slurp(log).find("transaction done (add-br)"), std::string::npos) << slurp(log);
}

// Under systemd (lite-vswitchd.service, Type=notify): READY=1 once vsctl is served, WATCHDOG=1
// pings when $WATCHDOG_USEC asks, STOPPING=1 on SIGTERM, on the datagram socket $NOTIFY_SOCKET
// names (bound here, as systemd binds it).
TEST_F(DaemonTest, TellsSystemdReadyWatchdogAndStopping) {
  if (!LVS_HAVE_SYSTEMD) GTEST_SKIP() << "built without libsystemd (no sd_notify)";
  const std::string notify = dir + "/notify.sock";
  const int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(fd, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", notify.c_str());
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0) << std::strerror(errno);
  auto next = [&](int timeout_ms) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, timeout_ms) != 1) return std::string("(nothing)");
    char buf[512];
    const ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
    return std::string(buf, n > 0 ? static_cast<size_t>(n) : 0);
  };
  EXPECT_EQ(next(0), "(nothing)");
  ::setenv("NOTIFY_SOCKET", notify.c_str(), 1);
  ::setenv("WATCHDOG_USEC", "2000000", 1);
  start();
  ::unsetenv("NOTIFY_SOCKET");
  ::unsetenv("WATCHDOG_USEC");
  const std::string ready = next(5000);
  EXPECT_EQ(ready.rfind("READY=1\nSTATUS=serving on " + sock + " (1 bridges", 0), 0u) << ready;
  EXPECT_EQ(vsctl("list-br"), 0);
  EXPECT_EQ(next(3000), "WATCHDOG=1");
  const int status = stop();
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  std::string last = next(1000);
  while (last == "WATCHDOG=1") last = next(1000);
  EXPECT_EQ(last, "STOPPING=1\nSTATUS=stopping");
  ::close(fd);
}

}  // namespace
}  // namespace lvs::ctl
