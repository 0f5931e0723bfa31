// vsctl and vsattach command lines of any shape (words separated by NUL bytes): the parsers
// must answer with arguments or an error, never crash.
#include <cstdint>
#include <string>
#include <vector>

#include "ctl/attach_args.hpp"
#include "ctl/vsctl_args.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::vector<std::string> words(1);
  for (size_t i = 0; i < size && words.size() < 64; ++i) {
    if (data[i] == 0) words.emplace_back();
    else words.back().push_back(static_cast<char>(data[i]));
  }
  (void)lvs::ctl::parse_vsctl_args(words);
  (void)lvs::ctl::parse_attach_args(words);
  return 0;
}
