#pragma once
// The `lite-vswitch` CNI plugin (spec 1.0.0 and 1.1.0): one run = one command from CNI_COMMAND,
// the network configuration on stdin. ADD makes a veth pair (container end created inside
// CNI_NETNS as CNI_IFNAME), gives it the IPAM's addresses and routes, and makes the host end a
// port of the bridge recording the container; DEL undoes it and succeeds when anything is
// already gone; CHECK compares the container with prevResult; GC removes this network's ports
// whose attachment is not in cni.dev/valid-attachments; STATUS says whether vswitchd answers.
#include <string>

#include "ctl/cni_config.hpp"
#include "ctl/cni_error.hpp"

namespace lvs::ctl::cni {

struct Reply {
  std::string out;  // for stdout: a result, a version answer or an error object; may be empty
  int exit_code = 0;
};

Reply run_plugin(const Env& env, const std::string& stdin_text);

// The commands, for run_plugin (cni_add.cpp, cni_del.cpp).
CniResult<nlohmann::json> cmd_add(const NetConf& n, const Env& env);
CniStatus cmd_check(const NetConf& n, const Env& env);
CniStatus cmd_del(const NetConf& n, const Env& env);
CniStatus cmd_gc(const NetConf& n, const Env& env);

// The host end of the attachment's veth, the switch port: derived from CNI_CONTAINERID and
// CNI_IFNAME only, so DEL finds it with nothing else known.
std::string host_port_name(const Env& env);

}  // namespace lvs::ctl::cni
