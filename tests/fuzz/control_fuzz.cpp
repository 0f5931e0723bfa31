// Control-socket input of any shape, as the server sees it: newline-delimited requests (a
// pipeline), each parsed with the depth limit (bounded_json.hpp) and run on one Service in
// order. Invariants: no crash (no recursion over client structure however deep), always exactly
// one of result / error per request, a request answered with an error leaves the configuration
// exactly as it was, and anything nested deeper than kMaxJsonDepth is refused.
#include <cstdint>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string_view>

#include "ctl/bounded_json.hpp"
#include "ctl/config.hpp"
#include "ctl/service.hpp"

namespace {

// Deepest bracket nesting outside strings (what the parser must refuse past the limit).
size_t depth_of(std::string_view text) {
  size_t depth = 0, most = 0;
  bool in_string = false, escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped)
        escaped = false;
      else if (c == '\\')
        escaped = true;
      else if (c == '"')
        in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      most = std::max(most, ++depth);
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return most;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  lvs::ctl::Service service(
      lvs::ctl::default_config(), "",
      [](const lvs::ctl::Config& c) { return lvs::ctl::validate(c); }, nullptr);
  size_t start = 0;
  for (int requests = 0; start < input.size() && requests < 16; ++requests) {
    size_t nl = input.find('\n', start);
    if (nl == std::string_view::npos) nl = input.size();
    const std::string_view line = input.substr(start, nl - start);
    start = nl + 1;
    auto request = lvs::ctl::parse_bounded_json(line);
    if (!request) continue;                                      // the server answers bad_request
    if (depth_of(line) > lvs::ctl::kMaxJsonDepth) std::abort();  // the limit let it through
    const lvs::ctl::Config before = service.config();
    const nlohmann::json reply = service.handle(*request);
    const bool has_error = reply.is_object() && reply.contains("error");
    const bool has_result = reply.is_object() && reply.contains("result");
    if (has_error == has_result) std::abort();  // exactly one of them
    if (has_error && !(service.config() == before)) std::abort();
    (void)reply.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  }
  return 0;
}
