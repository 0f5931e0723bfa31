// vsctl: sends a chain of commands to vswitchd as one transaction and prints the results.
#include <cstdio>
#include <iostream>

#include "ctl/capture_client.hpp"
#include "ctl/control_client.hpp"
#include "ctl/output_format.hpp"
#include "ctl/service.hpp"
#include "ctl/vsctl_args.hpp"

int main(int argc, char** argv) {
  using namespace lvs::ctl;
  auto args = parse_vsctl_args(std::vector<std::string>(argv + 1, argv + argc));
  if (!args) {
    std::fprintf(stderr, "vsctl: %s\n", args.error().message.c_str());
    return 1;
  }
  if (args->help) {
    std::cout << vsctl_help();
    return 0;
  }
  if (args->list_commands) {
    for (const auto& name : command_names()) std::cout << name << "\n";
    return 0;
  }
  if (args->version) {
    std::cout << "vsctl (Lite vSwitch) " << kVersion << "\n";
    return 0;
  }
  // capture streams on its own connection (capture_client.hpp), alone, not as a transaction.
  if (args->commands.size() == 1 && args->commands[0].name == "capture")
    return run_capture(args->socket, args->commands[0].args);
  const int timeout_ms = args->timeout_s * 1000;
  auto reply = transact(args->socket, args->chain, timeout_ms);
  if (!reply) {
    std::fprintf(stderr, "vsctl: %s\n", reply.error().message.c_str());
    return 1;
  }
  const auto& r = *reply;
  if (r.contains("error")) {
    // The message quotes what was sent, and stored values: never raw control characters.
    std::fprintf(stderr, "vsctl: %s\n",
                 escape_control_chars(r["error"].value("message", std::string("unknown error")))
                     .c_str());
    return 1;
  }
  const auto& outputs = r["result"]["outputs"];
  int status = 0;
  std::string text;
  for (size_t i = 0; i < args->commands.size() && i < outputs.size(); ++i) {
    const Command& c = args->commands[i];
    if (c.name == "br-exists" && !outputs[i].value("exists", false)) status = 2;
    text += format_output(c, outputs[i], args->format);
  }
  std::fwrite(text.data(), 1, text.size(), stdout);
  return status;
}
