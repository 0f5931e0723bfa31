#pragma once
// A loopback TCP forwarder between one store and etcd, so that a test can cut that store off
// alone (cut(): every connection closed, new ones refused) while others still reach etcd, and
// let it back (restore()), and count what crosses it. One thread, poll() over the sockets.
// Test and bench code only.
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <mutex>
#include <thread>
#include <vector>

namespace lvs::test {

class TcpProxy {
 public:
  TcpProxy(int listen_port, int target_port) : port_(listen_port), target_(target_port) {
    listen_on();
    thread_ = std::thread([this] { loop(); });
  }
  ~TcpProxy() {
    done_ = true;
    thread_.join();
    close_all();
    if (listener_ >= 0) ::close(listener_);
  }
  std::string endpoint() const { return "127.0.0.1:" + std::to_string(port_); }
  void cut() {
    want_cut_ = true;
    wait_applied();
  }
  void restore() {
    want_cut_ = false;
    wait_applied();
  }
  // Payload bytes forwarded so far: from the target to clients, and from clients to it.
  uint64_t bytes_from_target() const { return from_target_; }
  uint64_t bytes_to_target() const { return to_target_; }

 private:
  static sockaddr_in loopback(int port) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(uint16_t(port));
    return a;
  }
  void listen_on() {
    listener_ = ::socket(AF_INET, SOCK_STREAM, 0);
    const int one = 1;
    ::setsockopt(listener_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    auto a = loopback(port_);
    ::bind(listener_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    ::listen(listener_, 64);
  }
  void close_all() {
    for (auto& [a, b] : pairs_) ::close(a), ::close(b);
    pairs_.clear();
  }
  void wait_applied() {
    while (applied_ != want_cut_) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  void loop() {
    while (!done_) {
      if (want_cut_ != applied_) {
        if (want_cut_) {
          close_all();
          ::close(listener_);
          listener_ = -1;
        } else {
          listen_on();
        }
        applied_ = want_cut_.load();
      }
      std::vector<pollfd> fds;
      if (listener_ >= 0) fds.push_back({listener_, POLLIN, 0});
      for (auto& [a, b] : pairs_) fds.push_back({a, POLLIN, 0}), fds.push_back({b, POLLIN, 0});
      ::poll(fds.data(), fds.size(), 10);
      size_t i = 0;
      if (listener_ >= 0 && (fds[i++].revents & POLLIN)) {
        const int in = ::accept(listener_, nullptr, nullptr);
        const int out = ::socket(AF_INET, SOCK_STREAM, 0);
        auto a = loopback(target_);
        if (in >= 0 && ::connect(out, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) {
          pairs_.push_back({in, out});
        } else {
          if (in >= 0) ::close(in);
          ::close(out);
        }
      }
      std::vector<std::pair<int, int>> keep;
      for (size_t p = 0; p < pairs_.size(); ++p, i += 2) {
        bool alive = true;
        for (int side = 0; side < 2 && alive; ++side) {
          if (i + side >= fds.size() || !(fds[i + side].revents & (POLLIN | POLLHUP | POLLERR)))
            continue;
          const int from = side == 0 ? pairs_[p].first : pairs_[p].second;
          const int to = side == 0 ? pairs_[p].second : pairs_[p].first;
          char buf[65536];
          const ssize_t n = ::read(from, buf, sizeof buf);
          alive = n > 0 && ::write(to, buf, size_t(n)) == n;
          if (alive) (side == 0 ? to_target_ : from_target_) += uint64_t(n);
        }
        if (alive) {
          keep.push_back(pairs_[p]);
        } else {
          ::close(pairs_[p].first);
          ::close(pairs_[p].second);
        }
      }
      pairs_ = std::move(keep);
    }
  }

  int port_, target_;
  int listener_ = -1;
  std::vector<std::pair<int, int>> pairs_;
  std::atomic<bool> done_{false}, want_cut_{false}, applied_{false};
  std::atomic<uint64_t> from_target_{0}, to_target_{0};
  std::thread thread_;
};

}  // namespace lvs::test
