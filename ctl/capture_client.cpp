#include "ctl/capture_client.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <nlohmann/json.hpp>

#include "ctl/capture_protocol.hpp"
#include "ctl/config.hpp"
#include "ctl/output_format.hpp"

namespace lvs::ctl {
namespace {

int fail(const std::string& message) {
  std::fprintf(stderr, "vsctl: %s\n", escape_control_chars(message).c_str());
  return 1;
}

bool write_all(int fd, const char* p, size_t n) {
  while (n > 0) {
    const ssize_t w = ::write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    p += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}

// Counts the records of a pcap stream as it passes (for the closing line).
class RecordCounter {
 public:
  void feed(const char* p, size_t n) {
    while (n > 0) {
      if (skip_ > 0) {
        const size_t k = n < skip_ ? n : skip_;
        skip_ -= k;
        p += k;
        n -= k;
        continue;
      }
      head_[have_++] = static_cast<unsigned char>(*p++);
      --n;
      if (have_ == 16) {  // a record header: incl_len at offset 8
        uint32_t incl;
        std::memcpy(&incl, head_ + 8, 4);
        skip_ = incl;
        have_ = 0;
        ++records_;
      }
    }
  }
  uint64_t records() const { return records_; }

 private:
  size_t skip_ = 24;  // the global header
  unsigned char head_[16];
  size_t have_ = 0;
  uint64_t records_ = 0;
};

}  // namespace

int run_capture(const std::string& socket, const std::vector<std::string>& args) {
  std::string port, direction = "both", file;
  uint64_t count = 0;
  bool have_file = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& w = args[i];
    auto value = [&](std::string& out) {
      if (i + 1 >= args.size()) return false;
      out = args[++i];
      return true;
    };
    std::string v;
    if (w == "--direction" || w == "-d") {
      if (!value(direction)) return fail("capture: " + w + ": missing value");
      if (direction != "rx" && direction != "tx" && direction != "both")
        return fail("capture: --direction \"" + direction + "\" is not rx, tx or both");
    } else if (w.rfind("--direction=", 0) == 0) {
      direction = w.substr(12);
      if (direction != "rx" && direction != "tx" && direction != "both")
        return fail("capture: --direction \"" + direction + "\" is not rx, tx or both");
    } else if (w == "-c") {
      if (!value(v)) return fail("capture: -c: missing value");
      auto n = parse_int(v, 1, 1'000'000'000'000LL);
      if (!n) return fail("capture: -c \"" + v + "\" is not a number of frames");
      count = static_cast<uint64_t>(*n);
    } else if (w == "-w") {
      if (!value(file)) return fail("capture: -w: missing FILE (or - for stdout)");
      have_file = true;
    } else if (w.size() > 1 && w[0] == '-') {
      return fail("capture: unknown option \"" + w + "\" (--direction, -c, -w)");
    } else if (port.empty()) {
      port = w;
    } else {
      return fail("capture: unexpected word \"" + w + "\"");
    }
  }
  if (port.empty()) return fail("capture: missing PORT");
  if (!have_file) return fail("capture: missing -w FILE (or -w - for stdout)");

  const int s = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (socket.size() >= sizeof(addr.sun_path)) return fail("socket path too long: " + socket);
  std::memcpy(addr.sun_path, socket.c_str(), socket.size() + 1);
  if (s < 0 || ::connect(s, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0)
    return fail("cannot connect to " + socket + ": " + std::strerror(errno));
  nlohmann::json params{{"port", port}, {"direction", direction}};
  if (count) params["count"] = count;
  const std::string line =
      nlohmann::json{{"id", 1}, {"method", kCaptureMethod}, {"params", params}}.dump() + "\n";
  if (!write_all(s, line.data(), line.size())) return fail("cannot send to " + socket);

  // The reply line, then the stream.
  std::string got;
  char buf[65536];
  size_t nl;
  while ((nl = got.find('\n')) == std::string::npos) {
    const ssize_t n = ::read(s, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return fail("vswitchd closed the connection without a reply");
    got.append(buf, static_cast<size_t>(n));
  }
  const auto reply = nlohmann::json::parse(got.substr(0, nl), nullptr, false);
  if (reply.is_discarded()) return fail("unreadable reply from vswitchd");
  if (reply.contains("error"))
    return fail(reply["error"].value("message", std::string("unknown error")));
  int out = 1;
  if (file != "-") {
    out = ::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (out < 0) return fail("cannot create " + file + ": " + std::strerror(errno));
  }
  RecordCounter counter;
  std::string rest = got.substr(nl + 1);
  bool ok = true;
  if (!rest.empty()) {
    counter.feed(rest.data(), rest.size());
    ok = write_all(out, rest.data(), rest.size());
  }
  while (ok) {
    const ssize_t n = ::read(s, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    counter.feed(buf, static_cast<size_t>(n));
    ok = write_all(out, buf, static_cast<size_t>(n));
  }
  ::close(s);
  if (out != 1) ::close(out);
  std::fprintf(stderr, "%llu frames captured on %s\n",
               static_cast<unsigned long long>(counter.records()), port.c_str());
  return ok ? 0 : 1;
}

}  // namespace lvs::ctl
