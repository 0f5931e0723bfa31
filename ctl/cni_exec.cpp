#include "ctl/cni_exec.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

extern char** environ;

namespace lvs::ctl::cni {
namespace {

CniError sys_error(const std::string& what) {
  return cni_error(kIoFailure, what, std::string(std::strerror(errno)));
}

}  // namespace

CniResult<std::string> find_plugin(const std::string& type, const std::string& cni_path) {
  if (type.empty() || type.find('/') != std::string::npos || type == "." || type == "..")
    return cni_error(kInvalidConfig, "invalid plugin type \"" + type + "\"");
  size_t pos = 0;
  while (pos <= cni_path.size()) {
    size_t end = cni_path.find(':', pos);
    if (end == std::string::npos) end = cni_path.size();
    if (end > pos) {
      const std::string candidate = cni_path.substr(pos, end - pos) + "/" + type;
      if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    }
    pos = end + 1;
  }
  return cni_error(kInvalidConfig,
                   "failed to find plugin \"" + type + "\" in path [" + cni_path + "]");
}

CniResult<PluginOutput> exec_plugin(const std::string& path, const std::string& command,
                                    const std::string& stdin_text) {
  // The same environment, CNI_COMMAND set to what we ask (SPEC.md section 4).
  std::vector<std::string> env;
  for (char** e = environ; *e; ++e)
    if (std::strncmp(*e, "CNI_COMMAND=", 12) != 0) env.emplace_back(*e);
  env.push_back("CNI_COMMAND=" + command);
  std::vector<char*> envp;
  for (auto& s : env) envp.push_back(s.data());
  envp.push_back(nullptr);

  int in[2], out[2];
  if (::pipe2(in, O_CLOEXEC) != 0) return sys_error("pipe");
  if (::pipe2(out, O_CLOEXEC) != 0) {
    ::close(in[0]);
    ::close(in[1]);
    return sys_error("pipe");
  }
  const pid_t pid = ::fork();
  if (pid < 0) {
    for (int fd : {in[0], in[1], out[0], out[1]}) ::close(fd);
    return sys_error("fork");
  }
  if (pid == 0) {
    ::dup2(in[0], 0);
    ::dup2(out[1], 1);
    char* argv[] = {const_cast<char*>(path.c_str()), nullptr};
    ::execve(path.c_str(), argv, envp.data());
    ::_exit(127);
  }
  ::close(in[0]);
  ::close(out[1]);
  // Feed stdin and drain stdout together, so a large configuration cannot deadlock the pipes.
  ::signal(SIGPIPE, SIG_IGN);
  size_t written = 0;
  if (stdin_text.empty()) {
    ::close(in[1]);
    in[1] = -1;
  }
  PluginOutput r;
  pollfd fds[2] = {{out[0], POLLIN, 0}, {in[1], POLLOUT, 0}};
  while (fds[0].fd >= 0) {
    fds[1].fd = in[1];
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (in[1] >= 0 && (fds[1].revents & (POLLOUT | POLLERR | POLLHUP))) {
      const ssize_t n = ::write(in[1], stdin_text.data() + written, stdin_text.size() - written);
      if (n > 0) written += static_cast<size_t>(n);
      if (n <= 0 || written == stdin_text.size()) {
        ::close(in[1]);
        in[1] = -1;
      }
    }
    if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
      char buf[4096];
      const ssize_t n = ::read(out[0], buf, sizeof(buf));
      if (n > 0) {
        r.out.append(buf, static_cast<size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        ::close(out[0]);
        fds[0].fd = -1;
      }
    }
  }
  if (in[1] >= 0) ::close(in[1]);
  int st = 0;
  while (::waitpid(pid, &st, 0) < 0 && errno == EINTR) {
  }
  r.exit_code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + (WIFSIGNALED(st) ? WTERMSIG(st) : 0);
  if (r.exit_code == 127 && r.out.empty())
    return cni_error(kIoFailure, "cannot run plugin " + path);
  return r;
}

}  // namespace lvs::ctl::cni
