#include "ctl/docker_plugin.hpp"

#include <httplib.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "ctl/bounded_json.hpp"
#include "ctl/database.hpp"
#include "ctl/log.hpp"
#include "ctl/safe_dir.hpp"

namespace lvs::ctl {
namespace {

using nlohmann::json;
constexpr const char* kContentType = "application/vnd.docker.plugins.v1.2+json";
constexpr auto kJobTimeout = std::chrono::seconds(60);

void reply_json(httplib::Response& res, const DockerReply& r) {
  res.status = r.status;
  res.set_content(r.body.dump(), kContentType);
}

}  // namespace

Result<json> parse_plugin_body(const std::string& body) {
  if (body.size() > kMaxBodyBytes)
    return make_error(kErrTooLarge, "request body of " + std::to_string(body.size()) +
                                        " bytes is over the limit of " +
                                        std::to_string(kMaxBodyBytes));
  if (body.empty()) return json::object();  // Plugin.Activate and GetCapabilities carry none
  // The same bounded parse as every untrusted document (bounded_json.hpp), at a lower depth.
  auto j = parse_bounded_json(body, kMaxDepth);
  if (j) return j;
  const std::string& why = j.error().message;
  if (why.starts_with("JSON nested deeper than"))
    return make_error(kErrBadRequest,
                      "request body nests" + why.substr(std::string("JSON nested").size()));
  return make_error(kErrBadRequest, "request body is not JSON: " + why);
}

DockerPlugin::DockerPlugin() : server_(std::make_unique<httplib::Server>()) {}
DockerPlugin::~DockerPlugin() { stop(); }

Status DockerPlugin::start(const std::string& path) {
  namespace fs = std::filesystem;
  socket_path_ = path;
  name_ = fs::path(path).filename().string();
  if (name_.size() > 5 && name_.ends_with(".sock")) name_.resize(name_.size() - 5);
  event_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (event_fd_ < 0) return make_error(kErrIo, "eventfd: " + std::string(std::strerror(errno)));
  // The socket's and the spec file's directories are checked as the run directory is (no planted
  // links, not writable by others: safe_dir.hpp).
  if (auto dir = SafeDir::open_parent_of(path, "docker plugin socket directory"); !dir)
    return dir.error();
  std::error_code ec;
  if (fs::is_socket(path, ec))
    fs::remove(path, ec);  // a stale one: the database lock says we own it

  server_->set_address_family(AF_UNIX);
  server_->set_payload_max_length(kMaxBodyBytes);
  server_->set_error_handler([](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty()) return;
    const std::string what = res.status == 404 ? "unknown path " + req.path
                             : res.status == 413
                                 ? "request body over " + std::to_string(kMaxBodyBytes) + " bytes"
                                 : "HTTP status " + std::to_string(res.status);
    res.set_content(json{{"Err", "lite-vswitch: " + what}}.dump(), kContentType);
  });
  server_->Post(R"(/((Plugin|NetworkDriver|IpamDriver)\.[A-Za-z]+))",
                [this](const httplib::Request& req, httplib::Response& res) {
                  auto body = parse_plugin_body(req.body);
                  if (!body)
                    return reply_json(
                        res, DockerReply{body.error().code == kErrTooLarge ? 413 : 400,
                                         json{{"Err", "lite-vswitch: " + body.error().message}}});
                  reply_json(res, submit(req.matches[1], std::move(*body)));
                });
  // The port is meaningless for AF_UNIX, but 0 would ask httplib to read back a TCP port.
  if (!server_->bind_to_port(path, 1))
    return make_error(kErrIo, "cannot listen on docker plugin socket " + path);
  ::chmod(path.c_str(), 0660);
  // dockerd looks for sockets in /run/docker/plugins only; anywhere else it needs a spec file.
  if (fs::path(path).parent_path() != fs::path(kDockerPluginDir)) {
    spec_path_ = std::string(kDockerSpecDir) + "/" + name_ + ".spec";
    if (auto dir = SafeDir::open_parent_of(spec_path_, "docker plugin spec directory"); !dir)
      return dir.error();
    std::ofstream f(spec_path_, std::ios::trunc);
    f << "unix://" << fs::absolute(path).string() << "\n";
    if (!f) return make_error(kErrIo, "cannot write " + spec_path_);
  }
  thread_ = std::thread([this] { server_->listen_after_bind(); });
  // stop() can only interrupt a server that is running: wait until it is.
  for (int i = 0; i < 1000 && !server_->is_running(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  log_info("docker plugin " + name_ + " serving on " + path +
           (spec_path_.empty() ? "" : " (spec " + spec_path_ + ")"));
  return std::nullopt;
}

DockerReply DockerPlugin::submit(const std::string& method, json body) {
  auto job = std::make_shared<Job>();
  job->method = method;
  job->body = std::move(body);
  std::unique_lock lock(mu_);
  if (stopping_) return DockerReply{503, json{{"Err", "lite-vswitch: vswitchd is stopping"}}};
  queue_.push_back(job);
  const uint64_t one = 1;
  if (::write(event_fd_, &one, sizeof one) < 0) {
    // Only EAGAIN (the counter is full) can happen; the fd is readable then anyway.
  }
  if (!done_cv_.wait_for(lock, kJobTimeout, [&] { return job->done; })) {
    std::erase(queue_, job);
    return DockerReply{503, json{{"Err", "lite-vswitch: vswitchd did not answer in time"}}};
  }
  return job->reply;
}

void DockerPlugin::run_pending(const Runner& run) {
  uint64_t n = 0;
  if (::read(event_fd_, &n, sizeof n) < 0) {
    // EAGAIN: nothing was signalled since the last drain.
  }
  for (;;) {
    std::shared_ptr<Job> job;
    {
      std::lock_guard lock(mu_);
      if (queue_.empty()) return;
      job = queue_.front();
      queue_.pop_front();
    }
    DockerReply reply = run(job->method, job->body);
    {
      std::lock_guard lock(mu_);
      job->reply = std::move(reply);
      job->done = true;
    }
    done_cv_.notify_all();
  }
}

void DockerPlugin::stop() {
  {
    std::lock_guard lock(mu_);
    if (stopping_) return;
    stopping_ = true;
    for (auto& job : queue_) {
      job->reply = DockerReply{503, json{{"Err", "lite-vswitch: vswitchd is stopping"}}};
      job->done = true;
    }
    queue_.clear();
  }
  done_cv_.notify_all();
  if (thread_.joinable()) {
    server_->stop();
    thread_.join();
  }
  if (!socket_path_.empty()) ::unlink(socket_path_.c_str());
  if (!spec_path_.empty()) ::unlink(spec_path_.c_str());
  if (event_fd_ >= 0) ::close(event_fd_);
  event_fd_ = -1;
}

}  // namespace lvs::ctl
