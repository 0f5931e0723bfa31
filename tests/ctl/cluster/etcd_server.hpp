#pragma once
// A real etcd-server for one test: its own data dir and two free loopback ports (client, peer),
// killed and its dir removed at the end. kill() + start() again reopens the same data dir
// (an etcd restart); pause()/resume() stall it (SIGSTOP/SIGCONT). Test code only.
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include "ctl/cluster/etcd_client.hpp"
#include "tests/support/background_process.hpp"
#include "tests/support/wait_until.hpp"

namespace lvs::test {

// A loopback port nobody listens on now (the kernel's choice: unique to this process's moment).
inline int free_loopback_port() {
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

class EtcdServer {
 public:
  EtcdServer() : client_port_(free_loopback_port()), peer_port_(free_loopback_port()) {
    char tmpl[] = "/tmp/lvs-etcd-XXXXXX";
    dir_ = ::mkdtemp(tmpl);
  }
  ~EtcdServer() {
    kill();
    std::filesystem::remove_all(dir_);
  }

  std::string endpoint() const { return "127.0.0.1:" + std::to_string(client_port_); }
  int port() const { return client_port_; }

  // Starts etcd and waits until it answers a range; false (with its log in `why`) otherwise.
  bool start(std::string* why = nullptr) {
    const std::string c = "http://127.0.0.1:" + std::to_string(client_port_);
    const std::string p = "http://127.0.0.1:" + std::to_string(peer_port_);
    proc_ = std::make_unique<BackgroundProcess>(
        "etcd --name t --data-dir " + dir_ + "/data --listen-client-urls " + c +
        " --advertise-client-urls " + c + " --listen-peer-urls " + p +
        " --initial-advertise-peer-urls " + p + " --initial-cluster t=" + p);
    lvs::ctl::cluster::EtcdClient probe({endpoint()}, std::chrono::milliseconds(300));
    const bool up = wait_until([&] { return probe.range("probe", "").ok() || !proc_->running(); },
                               std::chrono::seconds(10), std::chrono::milliseconds(20)) &&
                    proc_->running();
    if (!up && why) *why = proc_->err() + proc_->out();
    return up;
  }
  void kill() {
    if (proc_) proc_->kill();
    proc_.reset();
  }
  void pause() { ::kill(proc_->pid(), SIGSTOP); }
  void resume() { ::kill(proc_->pid(), SIGCONT); }

 private:
  int client_port_, peer_port_;
  std::string dir_;
  std::unique_ptr<BackgroundProcess> proc_;
};

}  // namespace lvs::test
