// vsattach: attaches containers to Lite vSwitch bridges, pipework's habits (attach.hpp).
#include <cstdio>
#include <iostream>

#include "ctl/attach.hpp"
#include "ctl/attach_args.hpp"
#include "ctl/service.hpp"

int main(int argc, char** argv) {
  using namespace lvs::ctl;
  auto args = parse_attach_args(std::vector<std::string>(argv + 1, argv + argc));
  if (!args) {
    std::fprintf(stderr, "vsattach: %s\n", args.error().message.c_str());
    return 1;
  }
  Result<std::string> r = std::string();
  switch (args->mode) {
    case AttachArgs::Mode::kHelp:
      std::cout << vsattach_help();
      return 0;
    case AttachArgs::Mode::kVersion:
      std::cout << "vsattach (Lite vSwitch) " << kVersion << "\n";
      return 0;
    case AttachArgs::Mode::kAttach: r = run_attach(*args); break;
    case AttachArgs::Mode::kDetach: r = run_detach(*args); break;
    case AttachArgs::Mode::kGc: r = run_gc(*args); break;
  }
  if (!r) {
    std::fprintf(stderr, "vsattach: %s\n", r.error().message.c_str());
    return 1;
  }
  std::fwrite(r->data(), 1, r->size(), stdout);
  return 0;
}
