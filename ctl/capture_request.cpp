#include "ctl/capture_request.hpp"

#include <fcntl.h>
#include <unistd.h>

#include "ctl/log.hpp"
#include "ctl/service.hpp"

namespace lvs::ctl {

using nlohmann::json;

std::optional<json> start_capture_request(DatapathDriver& driver, const json& request, int fd) {
  const auto at = request.find("id");
  const json id = at != request.end() && at->is_primitive() ? *at : json(nullptr);
  auto refuse = [&](const char* code, const std::string& message) {
    ::close(fd);
    return std::optional<json>(Service::error_reply(id, make_error(code, message)));
  };
  const auto p = request.find("params");
  if (p == request.end() || !p->is_object())
    return refuse(kErrBadRequest, "capture: missing params");
  const auto port = p->find("port");
  if (port == p->end() || !port->is_string())
    return refuse(kErrBadRequest, "capture: params.port: expected a port name");
  CaptureDirection dir = CaptureDirection::kBoth;
  if (const auto d = p->find("direction"); d != p->end()) {
    const std::string text = d->is_string() ? d->get<std::string>() : d->dump();
    if (text == "rx")
      dir = CaptureDirection::kRx;
    else if (text == "tx")
      dir = CaptureDirection::kTx;
    else if (text != "both")
      return refuse(kErrInvalid, "capture: --direction \"" + text + "\" is not rx, tx or both");
  }
  uint64_t count = 0;
  if (const auto c = p->find("count"); c != p->end()) {
    if (!c->is_number_unsigned()) return refuse(kErrInvalid, "capture: -c: expected a number");
    count = c->get<uint64_t>();
  }
  // The stream is written by the capture's writer thread, which waits on a slow reader in poll.
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
  const std::string reply = json{{"id", id}, {"result", {{"port", *port}}}}.dump() + "\n";
  if (auto e = driver.start_capture(port->get<std::string>(), dir, count, fd, reply))
    return Service::error_reply(id, *e);  // fd closed
  log_info("capture of " + port->get<std::string>() + " started");
  return std::nullopt;
}

}  // namespace lvs::ctl
