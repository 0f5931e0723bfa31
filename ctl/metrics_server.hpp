#pragma once
// vswitchd --metrics-address ADDR:PORT: GET /metrics in Prometheus' text format, served with
// cpp-httplib (as the Docker plugin) on threads of its own. Those threads never read the
// configuration or the datapath: a scrape asks the control thread for a MetricsSnapshot (an
// eventfd the control thread polls, as the Docker plugin's queue), which copies the counters
// (relaxed loads, the same as vsctl's) and goes back to its loop; the HTTP thread formats the
// text. Scrapes that wait at the same time share one snapshot. PMDs are never involved: scraping
// costs them nothing but the CPU the HTTP thread uses.
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "ctl/error.hpp"
#include "ctl/metrics_snapshot.hpp"

namespace httplib {
class Server;
}

namespace lvs::ctl {

struct ListenAddress {
  std::string host;  // an IPv4 or IPv6 literal (without brackets)
  int port = 0;
  std::string text;  // as given
};

// "127.0.0.1:9477", "0.0.0.0:9477", "[::1]:9477", "[::]:9477". The error names the value and
// what is wrong with it.
Result<ListenAddress> parse_listen_address(const std::string& text);

class MetricsServer {
 public:
  using Collector = std::function<MetricsSnapshot()>;
  // How long a scrape waits for the control thread (busy with a long transaction) before it is
  // answered 503.
  static constexpr auto kSnapshotTimeout = std::chrono::seconds(5);

  MetricsServer();
  ~MetricsServer();
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;

  // Binds and listens (before the daemon drops capabilities: a port below 1024 needs
  // CAP_NET_BIND_SERVICE); connections wait in the backlog until start().
  Status bind(const ListenAddress& address);
  // Serves on its own threads, kept off `pmd_cores` (the cores PMD threads are pinned to) when
  // any other core is allowed: formatting a scrape never preempts a PMD.
  void start(const std::vector<int>& pmd_cores = {});
  // Readable while a scrape waits for a snapshot: the control thread polls it.
  int event_fd() const { return event_fd_; }
  // On the control thread: when scrapes wait, collects one snapshot for all of them.
  void serve_pending(const Collector& collect);
  // Stops serving; scrapes still waiting get 503.
  void stop();

 private:
  // On an HTTP thread: the snapshot taken after this call began, or null (stopping, timeout).
  std::shared_ptr<const MetricsSnapshot> wait_snapshot();

  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int event_fd_ = -1;
  std::string address_;
  std::mutex mu_;  // guards what follows
  std::condition_variable served_cv_;
  uint64_t requested_ = 0, served_ = 0;  // scrape numbers asked for / answered
  std::shared_ptr<const MetricsSnapshot> latest_;
  bool stopping_ = false;
};

}  // namespace lvs::ctl
