// Database documents of any shape. Invariants: no crash; a document that loads is valid and
// survives a write/read round trip unchanged.
#include <cstdint>
#include <cstdlib>

#include <nlohmann/json.hpp>

#include "ctl/config.hpp"
#include "ctl/config_json.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto doc = nlohmann::json::parse(data, data + size, nullptr, false);
  if (doc.is_discarded()) return 0;
  auto config = lvs::ctl::config_from_json(doc);
  if (!config) return 0;
  auto again = lvs::ctl::config_from_json(lvs::ctl::to_json(*config));
  if (!again || !(*again == *config)) std::abort();
  return 0;
}
