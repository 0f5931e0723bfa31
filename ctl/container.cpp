#include "ctl/container.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <vector>

#include "ctl/attach_args.hpp"
#include "ctl/config.hpp"

namespace lvs::ctl {
namespace {

namespace fs = std::filesystem;

constexpr const char* kNetnsDir = "/run/netns/";

bool all_digits(const std::string& s) {
  return !s.empty() && s.find_first_not_of("0123456789") == std::string::npos;
}

// The first of docker, nerdctl found on PATH; empty when none.
std::string find_runtime() {
  const char* path = std::getenv("PATH");
  const std::string dirs = path ? path : "/usr/local/bin:/usr/bin:/bin";
  for (const char* tool : {"docker", "nerdctl"}) {
    size_t pos = 0;
    while (pos <= dirs.size()) {
      size_t end = dirs.find(':', pos);
      if (end == std::string::npos) end = dirs.size();
      const std::string candidate = dirs.substr(pos, end - pos) + "/" + tool;
      if (end > pos && ::access(candidate.c_str(), X_OK) == 0) return candidate;
      pos = end + 1;
    }
  }
  return {};
}

struct RunOutput {
  int status = -1;
  std::string out, err;
};

// Runs argv (no shell) and collects its output; the child gets no stdin.
Result<RunOutput> run_tool(const std::vector<std::string>& argv) {
  int out[2], err[2];
  if (::pipe2(out, O_CLOEXEC) != 0) return make_error(kErrIo, std::string("pipe: ") + std::strerror(errno));
  if (::pipe2(err, O_CLOEXEC) != 0) {
    ::close(out[0]);
    ::close(out[1]);
    return make_error(kErrIo, std::string("pipe: ") + std::strerror(errno));
  }
  const pid_t pid = ::fork();
  if (pid == 0) {
    const int null = ::open("/dev/null", O_RDONLY);
    ::dup2(null, 0);
    ::dup2(out[1], 1);
    ::dup2(err[1], 2);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  ::close(out[1]);
  ::close(err[1]);
  RunOutput r;
  pollfd fds[2] = {{out[0], POLLIN, 0}, {err[0], POLLIN, 0}};
  int open_fds = 2;
  while (pid > 0 && open_fds > 0) {
    if (::poll(fds, 2, 30000) <= 0) break;  // a runtime that hangs 30 s is treated as failing
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      char buf[4096];
      const ssize_t n = ::read(fds[i].fd, buf, sizeof(buf));
      if (n <= 0) {
        fds[i].fd = -1;
        --open_fds;
      } else {
        (i == 0 ? r.out : r.err).append(buf, static_cast<size_t>(n));
      }
    }
  }
  ::close(out[0]);
  ::close(err[0]);
  if (pid < 0) return make_error(kErrIo, std::string("fork: ") + std::strerror(errno));
  int status = 0;
  if (open_fds > 0) ::kill(pid, SIGKILL);
  ::waitpid(pid, &status, 0);
  r.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

std::string first_line(const std::string& s) {
  std::string l = s.substr(0, s.find('\n'));
  return l.empty() ? "no output" : l;
}

// Asks the runtime for the container's pid and full id. pid 0 = not running.
Result<std::pair<long long, std::string>> runtime_inspect(const std::string& runtime, const std::string& name) {
  auto r = run_tool({runtime, "inspect", "--type", "container", "--format", "{{.State.Pid}} {{.Id}}", name});
  if (!r) return r.error();
  const std::string tool = fs::path(runtime).filename();
  if (r->status != 0)
    return make_error(kErrNotFound, "container \"" + name + "\": " + tool + " inspect failed: " + first_line(r->err));
  const std::string line = first_line(r->out);
  const size_t sp = line.find(' ');
  auto pid = parse_int(line.substr(0, sp), 0, 1LL << 31);
  if (sp == std::string::npos || !pid)
    return make_error(kErrInvalid, "container \"" + name + "\": unexpected " + tool + " inspect output \"" + line + "\"");
  return std::make_pair(*pid, line.substr(sp + 1));
}

}  // namespace

Result<ContainerRef> resolve_container(const std::string& name) {
  if (auto e = validate_container_name(name)) return *e;
  if (all_digits(name)) {
    const std::string ns = "/proc/" + name + "/ns/net";
    if (!fs::exists(ns)) return make_error(kErrNotFound, "container \"" + name + "\": no process with pid " + name);
    return ContainerRef{name, "pid:" + name, ns};
  }
  const std::string named = kNetnsDir + name;
  if (fs::exists(named)) return ContainerRef{name, "netns:" + name, named};
  const std::string runtime = find_runtime();
  if (runtime.empty())
    return make_error(kErrNotFound, "container \"" + name + "\": no network namespace " + named +
                                        ", not a pid, and no docker or nerdctl on PATH to ask");
  auto info = runtime_inspect(runtime, name);
  if (!info)
    return make_error(info.error().code, "no network namespace " + named + ", not a pid, and " + info.error().message);
  if (info->first == 0) return make_error(kErrInvalid, "container \"" + name + "\" is not running");
  const std::string pid = std::to_string(info->first);
  return ContainerRef{info->second, "docker:" + info->second, "/proc/" + pid + "/ns/net"};
}

bool container_alive(const std::string& key) {
  const size_t colon = key.find(':');
  if (colon == std::string::npos) return true;
  const std::string kind = key.substr(0, colon), value = key.substr(colon + 1);
  if (validate_container_name(value)) return true;  // not ours to judge
  if (kind == "netns") return fs::exists(kNetnsDir + value);
  if (kind == "pid") return fs::exists("/proc/" + value + "/ns/net");
  if (kind == "docker") {
    const std::string runtime = find_runtime();
    if (runtime.empty()) return true;
    auto info = runtime_inspect(runtime, value);
    // "No such container" is gone; a runtime that cannot answer (daemon down) is not proof.
    if (!info) return info.error().message.find("No such") == std::string::npos &&
                      info.error().message.find("no such") == std::string::npos;
    return info->first != 0;
  }
  return true;
}

}  // namespace lvs::ctl
