#pragma once
// A command running beside the test (tcpdump, a server), its stdout and stderr in files, so that
// the test waits for what the command says ("listening on", a port bound) or for its exit instead
// of sleeping for a guessed time. The destructor interrupts what is still running and removes
// the files. Test code only: production code never builds a command line.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>

#include "tests/support/test_process.hpp"
#include "tests/support/wait_until.hpp"

namespace lvs::test {

class BackgroundProcess {
 public:
  // Runs `cmd` with /bin/sh -c "exec cmd" in a process group of its own. With `log`, stdout and
  // stderr both go there (and the file stays); without, to two temporary files.
  explicit BackgroundProcess(const std::string& cmd, const std::string& log = "") {
    static std::atomic<unsigned> counter{0};
    const std::string base =
        "/tmp/lvs-bg-" + std::to_string(::getpid()) + "-" + std::to_string(counter.fetch_add(1));
    keep_files_ = !log.empty();
    out_path_ = keep_files_ ? log : base + ".out";
    err_path_ = keep_files_ ? log : base + ".err";
    pid_ = ::fork();
    if (pid_ == 0) {
      ::setpgid(0, 0);
      const int out = ::open(out_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      const int err =
          keep_files_ ? out : ::open(err_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      ::dup2(out, 1);
      ::dup2(err, 2);
      const int devnull = ::open("/dev/null", O_RDONLY);
      ::dup2(devnull, 0);
      const std::string line = "exec " + cmd;
      ::execl("/bin/sh", "sh", "-c", line.c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
    if (pid_ > 0) ::setpgid(pid_, pid_);  // also from here: no race with the first signal
  }
  ~BackgroundProcess() {
    if (running()) {
      interrupt();
      if (wait_exit(std::chrono::seconds(2)) < 0) kill();
    }
    if (keep_files_) return;
    std::remove(out_path_.c_str());
    std::remove(err_path_.c_str());
  }
  BackgroundProcess(const BackgroundProcess&) = delete;
  BackgroundProcess& operator=(const BackgroundProcess&) = delete;

  bool started() const { return pid_ > 0; }
  bool running() const { return pid_ > 0 && !exited_; }
  std::string out() const { return slurp(out_path_); }
  std::string err() const { return slurp(err_path_); }

  // Waits until stdout or stderr holds `text`; false after `timeout` or when the command
  // exited without saying it.
  bool wait_output(const std::string& text, std::chrono::milliseconds timeout) {
    return wait_until(
               [&] {
                 if (out().find(text) != std::string::npos || err().find(text) != std::string::npos)
                   return true;
                 reap();
                 return exited_;
               },
               timeout) &&
           (out().find(text) != std::string::npos || err().find(text) != std::string::npos);
  }
  // SIGINT to the group: tcpdump then writes out what it captured and exits.
  void interrupt() {
    if (running()) ::kill(-pid_, SIGINT);
  }
  // SIGKILL to the group, and reaps it.
  void kill() {
    if (!running()) return;
    ::kill(-pid_, SIGKILL);
    wait_exit(std::chrono::seconds(5));
  }
  pid_t pid() const { return pid_; }
  // The exit status (128 + signal when killed), or -1 when still running after `timeout`.
  int wait_exit(std::chrono::milliseconds timeout) {
    if (pid_ <= 0) return -1;
    wait_until(
        [&] {
          reap();
          return exited_;
        },
        timeout);
    return exited_ ? status_ : -1;
  }

 private:
  void reap() {
    if (exited_ || pid_ <= 0) return;
    int st = 0;
    if (::waitpid(pid_, &st, WNOHANG) == pid_) {
      exited_ = true;
      status_ = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    }
  }

  pid_t pid_ = -1;
  bool keep_files_ = false;
  bool exited_ = false;
  int status_ = -1;
  std::string out_path_, err_path_;
};

// Waits until a TCP socket listens on `port` (`prefix`: e.g. "ip netns exec NS"): a server
// started in the background is ready for clients.
inline bool wait_tcp_listening(const std::string& prefix, int port,
                               std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  const std::string cmd = prefix + " ss -Hltn 'sport = :" + std::to_string(port) + "'";
  return wait_until(
      [&] {
        std::string out;
        return run(cmd, &out) == 0 && out.find("LISTEN") != std::string::npos;
      },
      timeout, std::chrono::milliseconds(20));
}

// tcpdump (`args`: interface, filter, -c/-w...; `prefix`: e.g. "ip netns exec NS") started in the
// background and waited for until it is capturing: it says "listening on" once its filter is set.
// Packets go to stdout line by line (-l) and at once (--immediate-mode: no buffering in libpcap).
inline std::unique_ptr<BackgroundProcess> start_tcpdump(const std::string& prefix,
                                                        const std::string& args) {
  auto p = std::make_unique<BackgroundProcess>(prefix + " tcpdump -l --immediate-mode " + args);
  if (!p->wait_output("listening on", std::chrono::seconds(10))) return nullptr;
  return p;
}

}  // namespace lvs::test
