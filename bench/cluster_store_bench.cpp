// The cluster store at scale (issue 17): HOSTS fake hosts registered straight in etcd (a lease
// each, their hosts/ key and ENDPOINTS/HOSTS endpoints, one txn per host; no datapath), then
// ROUNDS fresh ClusterStores, each measured for
//   1. time to converge: start() -> on_change with connected (full range + watch created) and
//      every member and endpoint in the view,
//   2. memory: heap in use (mallinfo2, all arenas) after converging minus before start, per
//      endpoint; and one ClusterView copy (what view() returns) per endpoint,
//   3. etcd traffic of that initial sync: HTTP bytes etcd sent and received, counted by a
//      loopback forwarder (tests/ctl/cluster/tcp_proxy.hpp) the store reaches etcd through in
//      one extra round (its converge time is not counted: one more hop),
//   4. one more endpoint put by a fake host -> in the view (median of 50),
//   5. stop (lease revoke) time;
// and, for comparison, the full range alone (EtcdClient::range_prefix, no view) per page size.
// CPU: this process's (the store's thread, mostly) and etcd's (ETCD_PID's utime+stime) during 1.
// Usage: cluster_store_bench HOST:PORT [HOSTS] [ENDPOINTS] [ROUNDS] [ETCD_PID]
// (bench/cluster_store.sh starts the etcd-server).
#include <malloc.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "ctl/cluster/cluster_view.hpp"
#include "ctl/cluster/etcd_client.hpp"
#include "ctl/cluster/key_schema.hpp"
#include "tests/ctl/cluster/etcd_server.hpp"
#include "tests/ctl/cluster/tcp_proxy.hpp"

using namespace lvs::ctl::cluster;
using Clock = std::chrono::steady_clock;

namespace {

constexpr const char* kPrefix = "/lite-vswitch/";

double ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

double self_cpu_ms() {
  rusage u{};
  ::getrusage(RUSAGE_SELF, &u);
  return (double(u.ru_utime.tv_sec + u.ru_stime.tv_sec) * 1e3 +
          double(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e3);
}

double process_cpu_ms(int pid) {  // utime + stime of /proc/PID/stat
  if (pid <= 0) return 0;
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  std::getline(in, line);
  std::istringstream rest(line.substr(line.rfind(')') + 2));
  std::string f;
  double ticks = 0;
  for (int i = 3; i <= 15 && rest >> f; ++i)
    if (i == 14 || i == 15) ticks += std::stod(f);
  return ticks * 1e3 / double(::sysconf(_SC_CLK_TCK));
}

size_t heap_in_use() {
  const struct mallinfo2 m = ::mallinfo2();
  return m.uordblks + m.hblkhd;
}

// A fresh store through a counting forwarder: bytes (from etcd, to etcd) until it converged.
std::pair<uint64_t, uint64_t> sync_traffic(const std::string& endpoint, int hosts, size_t want) {
  const int port = std::atoi(endpoint.substr(endpoint.rfind(':') + 1).c_str());
  lvs::test::TcpProxy proxy(lvs::test::free_loopback_port(), port);
  StoreOptions o;
  o.endpoints = {proxy.endpoint()};
  o.host_id = "bench-traffic";
  o.local_ip = "10.9.9.9";
  std::atomic<bool> ready{false};
  std::pair<uint64_t, uint64_t> bytes{0, 0};
  ClusterStore store(o);
  store.start([&](const ClusterView& v) {
    if (!ready && v.connected && v.members.size() == size_t(hosts) && v.endpoints.size() == want) {
      bytes = {proxy.bytes_from_target(), proxy.bytes_to_target()};
      ready = true;
    }
  });
  while (!ready) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  return bytes;
}

std::string host_ip(int h) {
  return "10.1." + std::to_string(h / 250) + "." + std::to_string(h % 250 + 1);
}

std::string mac(int h, int e) {
  char b[18];
  std::snprintf(b, sizeof b, "02:%02x:%02x:%02x:%02x:%02x", (h >> 8) & 0xff, h & 0xff,
                (e >> 16) & 0xff, (e >> 8) & 0xff, e & 0xff);
  return b;
}

bool populate(EtcdClient& etcd, int hosts, int endpoints) {
  const int per_host = endpoints / hosts;
  for (int h = 0; h < hosts; ++h) {
    auto lease = etcd.lease_grant(600);
    if (!lease) return std::fprintf(stderr, "lease: %s\n", lease.error().message.c_str()), false;
    Member m;
    m.id = host_ip(h);
    m.underlay_ip = m.id;
    m.vtep_mac = mac(h, 0xffffff);
    m.vnis = {100, 200};
    m.subnet = "10.200." + std::to_string(h) + ".0/24";
    nlohmann::json ops = nlohmann::json::array();
    ops.push_back(txn_put(host_key(kPrefix, m.id), member_value(m), lease->id));
    auto flush = [&]() -> bool {
      if (ops.empty()) return true;
      auto t = etcd.txn(nlohmann::json::array(), ops);
      ops = nlohmann::json::array();
      if (!t) std::fprintf(stderr, "txn: %s\n", t.error().message.c_str());
      return t.ok();
    };
    for (int e = 0; e < per_host; ++e) {
      Endpoint ep{100, mac(h, e), "10.200." + std::to_string(h) + "." + std::to_string(e % 250 + 2),
                  "", m.id};
      ops.push_back(txn_put(endpoint_key(kPrefix, ep.vni, ep.mac), endpoint_value(ep), lease->id));
      if (ops.size() == 128 && !flush()) return false;  // etcd's --max-txn-ops default
    }
    if (!flush()) return false;
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s HOST:PORT [HOSTS] [ENDPOINTS] [ROUNDS]\n", argv[0]);
    return 2;
  }
  const std::string endpoint = argv[1];
  const int hosts = argc > 2 ? std::atoi(argv[2]) : 100;
  const int endpoints = argc > 3 ? std::atoi(argv[3]) : 10000;
  const int rounds = argc > 4 ? std::atoi(argv[4]) : 5;
  const int etcd_pid = argc > 5 ? std::atoi(argv[5]) : 0;
  const size_t want_endpoints = size_t(endpoints / hosts) * size_t(hosts);

  EtcdClient etcd({endpoint}, std::chrono::milliseconds(5000));
  const auto tp = Clock::now();
  if (!populate(etcd, hosts, endpoints)) return 1;
  std::printf("populated hosts=%d endpoints=%zu in %.0f ms\n", hosts, want_endpoints,
              ms(Clock::now() - tp));

  for (int page : {1000, 10000}) {
    std::vector<double> t;
    for (int i = 0; i < 5; ++i) {
      const auto t0 = Clock::now();
      auto r = etcd.range_prefix(kPrefix, page);
      if (!r || r->kvs.size() < want_endpoints) return 1;
      t.push_back(ms(Clock::now() - t0));
    }
    std::printf("range alone, pages of %d: median %.1f ms\n", page, median(t));
  }

  std::vector<double> cpu_self, cpu_etcd;
  std::vector<double> converge, per_ep_store, per_ep_view, rx, tx, event, stop;
  for (int round = 0; round < rounds; ++round) {
    ::malloc_trim(0);
    const size_t heap0 = heap_in_use();
    std::atomic<bool> ready{false};
    std::atomic<size_t> seen{0};
    Clock::time_point t_ready;
    StoreOptions o;
    o.endpoints = {endpoint};
    o.host_id = "bench-" + std::to_string(round);
    o.local_ip = "10.9.9.9";
    auto store = std::make_unique<ClusterStore>(o);
    const double c0 = self_cpu_ms(), e0 = process_cpu_ms(etcd_pid);
    const auto t0 = Clock::now();
    store->start([&](const ClusterView& v) {
      seen = v.endpoints.size();
      if (!ready && v.connected && v.members.size() == size_t(hosts) &&
          v.endpoints.size() == want_endpoints) {
        t_ready = Clock::now();
        ready = true;
      }
    });
    while (!ready) {
      if (Clock::now() - t0 > std::chrono::seconds(60)) {
        std::fprintf(stderr, "not converged after 60 s: %s\n", store->view().error.c_str());
        return 1;
      }
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    converge.push_back(ms(t_ready - t0));
    cpu_self.push_back(self_cpu_ms() - c0);
    cpu_etcd.push_back(process_cpu_ms(etcd_pid) - e0);
    const size_t heap1 = heap_in_use();
    per_ep_store.push_back(double(heap1 - heap0) / double(want_endpoints));
    {
      const ClusterView copy = store->view();
      per_ep_view.push_back(double(heap_in_use() - heap1) / double(copy.endpoints.size()));
    }
    // Steady state: one station more on fake host 0, put -> in the view.
    std::vector<double> lat;
    auto lease = etcd.lease_grant(600);
    for (int i = 0; i < 50 && lease; ++i) {
      const size_t before = seen;
      Endpoint ep{200, mac(0xfe, round * 100 + i), "10.250.0.1", "", host_ip(0)};
      const auto ts = Clock::now();
      if (!etcd.put(endpoint_key(kPrefix, ep.vni, ep.mac), endpoint_value(ep), lease->id)) return 1;
      while (seen == before) std::this_thread::sleep_for(std::chrono::microseconds(20));
      lat.push_back(ms(Clock::now() - ts));
    }
    if (lease) etcd.lease_revoke(lease->id);
    event.push_back(median(lat));
    const auto ts = Clock::now();
    store.reset();
    stop.push_back(ms(Clock::now() - ts));
    std::printf(
        "round %d: converge %.1f ms (cpu: store %.0f ms, etcd %.0f ms), heap %.0f B/endpoint (view "
        "copy %.0f), "
        "event median %.2f ms, stop %.1f ms\n",
        round, converge.back(), cpu_self.back(), cpu_etcd.back(), per_ep_store.back(),
        per_ep_view.back(), event.back(), stop.back());
    // Let the revoke's and the extra keys' events settle before the next round.
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  const auto [from_etcd, to_etcd] = sync_traffic(endpoint, hosts, want_endpoints);
  rx.push_back(double(from_etcd));
  tx.push_back(double(to_etcd));
  std::printf(
      "median of %d: converge_ms=%.1f store_cpu_ms=%.0f etcd_cpu_ms=%.0f heap_per_endpoint_B=%.0f "
      "view_copy_per_endpoint_B=%.0f "
      "rx_bytes=%.0f tx_bytes=%.0f rx_per_endpoint_B=%.1f event_ms=%.2f stop_ms=%.1f\n",
      rounds, median(converge), median(cpu_self), median(cpu_etcd), median(per_ep_store),
      median(per_ep_view), median(rx), median(tx), median(rx) / double(want_endpoints),
      median(event), median(stop));
  return 0;
}
