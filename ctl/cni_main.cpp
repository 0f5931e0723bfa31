// lite-vswitch: the CNI plugin (cni_plugin.hpp). Runtimes exec it with CNI_* in the environment
// and the network configuration on stdin; it prints a result or a CNI error object on stdout.
#include <cstdio>
#include <iostream>
#include <iterator>
#include <string>

#include "ctl/cni_plugin.hpp"

int main() {
  using namespace lvs::ctl::cni;
  const Env env = read_env();
  std::string input;
  input.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
  const Reply r = run_plugin(env, input);
  if (!r.out.empty()) std::fwrite(r.out.data(), 1, r.out.size(), stdout);
  if (!r.out.empty()) std::fputc('\n', stdout);
  std::fflush(stdout);
  return r.exit_code;
}
