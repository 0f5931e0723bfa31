// Control-plane latency: starts a real vswitchd on a temp database and socket, then measures
//   1. median add-port / del-port round trip (one transaction each, persistent connection),
//   2. one transaction adding 1,000 ports (and deleting them again),
//   3. daemon start time (spawn -> first reply) with 1,000 ports in the database.
// Usage: ctl_bench VSWITCHD [PORT_TYPE] [ITERATIONS] [DIR]   PORT_TYPE: internal (taps, default) or
// vxlan (not available yet: control plane only). DIR holds the database (default /tmp; its
// filesystem's fsync cost bounds every committed transaction).
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "ctl/control_client.hpp"

using lvs::ctl::ControlClient;
using Clock = std::chrono::steady_clock;

namespace {

double ms_since(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}
double pct(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[static_cast<size_t>(p * static_cast<double>(v.size() - 1))];
}

pid_t spawn(const std::string& bin, const std::string& db, const std::string& sock, const std::string& log) {
  const pid_t p = fork();
  if (p == 0) {
    FILE* f = std::fopen(log.c_str(), "w");
    dup2(fileno(f), 1);
    dup2(fileno(f), 2);
    execl(bin.c_str(), "vswitchd", "--db", db.c_str(), "--socket", sock.c_str(), "--log-level", "warn", nullptr);
    _exit(127);
  }
  return p;
}

void stop(pid_t p) {
  kill(p, SIGTERM);
  waitpid(p, nullptr, 0);
}

bool ok(const lvs::ctl::Result<nlohmann::json>& r) {
  if (!r.ok()) {
    std::fprintf(stderr, "error: %s\n", r.error().message.c_str());
    return false;
  }
  if (r->contains("error")) {
    std::fprintf(stderr, "error: %s\n", (*r)["error"].dump().c_str());
    return false;
  }
  return true;
}

nlohmann::json tx(const std::vector<std::vector<std::string>>& chain) {
  return {{"method", "transact"}, {"params", {{"commands", chain}}}};
}

std::vector<std::string> port_args(const std::string& type, const std::string& name) {
  std::vector<std::string> a{"add-port", "br0", name, "type=" + type};
  if (type == "vxlan") a.push_back("options:remote_ip=192.0.2.1");
  return a;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s VSWITCHD [internal|vxlan] [ITERATIONS]\n", argv[0]);
    return 2;
  }
  const std::string bin = argv[1];
  const std::string type = argc > 2 ? argv[2] : "internal";
  const int iters = argc > 3 ? std::atoi(argv[3]) : 200;
  const std::string dir = std::string(argc > 4 ? argv[4] : "/tmp") + "/lvs-ctl-bench-" + std::to_string(getpid());
  std::filesystem::create_directories(dir);
  const std::string db = dir + "/conf.json", sock = dir + "/s.sock", log = dir + "/log";

  pid_t d = spawn(bin, db, sock, log);
  ControlClient c;
  if (auto e = c.connect(sock, 20000)) {
    std::fprintf(stderr, "%s\n", e->message.c_str());
    return 1;
  }
  // 1. add-port / del-port round trips.
  std::vector<double> add, del;
  for (int i = 0; i < iters; ++i) {
    const std::string name = "lb" + std::to_string(i % 100);
    auto t0 = Clock::now();
    if (!ok(c.call(tx({port_args(type, name)})))) return 1;
    add.push_back(ms_since(t0));
    t0 = Clock::now();
    if (!ok(c.call(tx({{"del-port", "br0", name}})))) return 1;
    del.push_back(ms_since(t0));
  }
  std::printf("port type: %s, %d iterations\n", type.c_str(), iters);
  std::printf("add-port round trip: median %.3f ms, p90 %.3f ms\n", median(add), pct(add, 0.9));
  std::printf("del-port round trip: median %.3f ms, p90 %.3f ms\n", median(del), pct(del, 0.9));

  // 2. 1,000 ports in one transaction.
  std::vector<std::vector<std::string>> chain;
  for (int i = 0; i < 1000; ++i) chain.push_back(port_args(type, "lt" + std::to_string(i)));
  auto t0 = Clock::now();
  if (!ok(c.call(tx(chain)))) return 1;
  std::printf("1000 add-port in one transaction: %.1f ms\n", ms_since(t0));
  t0 = Clock::now();
  if (!ok(c.call(tx({{"list-ports", "br0"}})))) return 1;
  std::printf("list-ports with 1000 ports: %.2f ms\n", ms_since(t0));
  c.close();
  stop(d);

  // 3. start time with 1,000 ports in the database.
  std::vector<double> starts;
  for (int i = 0; i < 3; ++i) {
    t0 = Clock::now();
    d = spawn(bin, db, sock, log);
    ControlClient s;
    if (auto e = s.connect(sock, 60000)) return 1;
    if (!ok(s.call({{"method", "ping"}}, 60000))) return 1;
    starts.push_back(ms_since(t0));
    s.close();
    if (i < 2) stop(d);
  }
  std::printf("daemon start with 1000 ports (spawn -> first reply): median %.1f ms (of 3)\n", median(starts));

  // Deleting them again, one transaction.
  ControlClient s;
  s.connect(sock, 2000);
  chain.clear();
  for (int i = 0; i < 1000; ++i) chain.push_back({"del-port", "lt" + std::to_string(i)});
  t0 = Clock::now();
  if (!ok(s.call(tx(chain)))) return 1;
  std::printf("1000 del-port in one transaction: %.1f ms\n", ms_since(t0));
  s.close();
  stop(d);
  std::filesystem::remove_all(dir);
  return 0;
}
