// Control-socket requests of any shape. Invariants: no crash, always a reply with a result or
// an error, and a request answered with an error leaves the configuration exactly as it was.
#include <cstdint>
#include <cstdlib>

#include <nlohmann/json.hpp>

#include "ctl/config.hpp"
#include "ctl/service.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto request = nlohmann::json::parse(data, data + size, nullptr, false);
  if (request.is_discarded()) return 0;
  lvs::ctl::Service service(lvs::ctl::default_config(), "",
                            [](const lvs::ctl::Config& c) { return lvs::ctl::validate(c); },
                            nullptr);
  const lvs::ctl::Config before = service.config();
  const nlohmann::json reply = service.handle(request);
  const bool has_error = reply.is_object() && reply.contains("error");
  const bool has_result = reply.is_object() && reply.contains("result");
  if (has_error == has_result) std::abort();  // exactly one of them
  if (has_error && !(service.config() == before)) std::abort();
  return 0;
}
