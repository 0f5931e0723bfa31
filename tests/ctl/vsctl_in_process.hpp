#pragma once
// vsctl's words run through a Service inside the test process (no daemon, no socket): what
// `vsctl` would print, errors as "ERROR: message". One copy for the command tests.
#include <string>
#include <vector>

#include "ctl/output_format.hpp"
#include "ctl/service.hpp"
#include "ctl/vsctl_args.hpp"

namespace lvs::ctl::test {

// Splits at spaces (the tests' command lines quote nothing).
inline std::vector<std::string> split_words(const std::string& line) {
  std::vector<std::string> words;
  std::string w;
  for (char c : line + " ") {
    if (c != ' ') {
      w += c;
    } else if (!w.empty()) {
      words.push_back(w);
      w.clear();
    }
  }
  return words;
}

inline std::string run_vsctl(Service& service, const std::vector<std::string>& words) {
  auto args = parse_vsctl_args(words);
  if (!args) return "ERROR: " + args.error().message;
  auto reply =
      service.handle({{"id", 1}, {"method", "transact"}, {"params", {{"commands", args->chain}}}});
  if (reply.contains("error")) return "ERROR: " + reply["error"]["message"].get<std::string>();
  std::string out;
  for (size_t i = 0; i < args->commands.size(); ++i)
    out += format_output(args->commands[i], reply["result"]["outputs"][i], args->format);
  return out;
}

inline std::string run_vsctl(Service& service, const std::string& line) {
  return run_vsctl(service, split_words(line));
}

}  // namespace lvs::ctl::test
