#pragma once
// Running another CNI plugin (a delegated IPAM plugin) as a runtime would: found in CNI_PATH,
// given this process's environment with CNI_COMMAND replaced, the configuration on stdin, its
// stderr passed through to ours, its stdout collected.
#include <string>

#include "ctl/cni_error.hpp"

namespace lvs::ctl::cni {

// The executable `type` in one of the ':'-separated directories of `cni_path`; an error (code 7)
// naming the type and the path when none holds it.
CniResult<std::string> find_plugin(const std::string& type, const std::string& cni_path);

struct PluginOutput {
  int exit_code = 0;
  std::string out;
};
// Runs `path` with CNI_COMMAND=`command` and `stdin_text` on its standard input.
CniResult<PluginOutput> exec_plugin(const std::string& path, const std::string& command,
                                    const std::string& stdin_text);

}  // namespace lvs::ctl::cni
