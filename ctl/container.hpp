#pragma once
// Which network namespace a vsattach CONTAINER names, in this order: a pid (/proc/PID/ns/net), a
// named namespace (/run/netns/NAME, `ip netns add`), else a docker or containerd container asked
// of the runtime's CLI (`docker inspect` / `nerdctl inspect`, run directly, no shell).
#include <string>

#include "ctl/error.hpp"

namespace lvs::ctl {

struct ContainerRef {
  std::string id;       // external_ids:container_id: the netns name, the pid, or the runtime's full id
  std::string key;      // external_ids:container_netns: "netns:NAME", "pid:N" or "docker:ID"
  std::string ns_path;  // what to open: /run/netns/NAME or /proc/PID/ns/net
};

Result<ContainerRef> resolve_container(const std::string& name);
// For --gc: false when the container recorded under `key` is certainly gone; true when it is
// alive or cannot be told (runtime missing), so that nothing is removed on a guess.
bool container_alive(const std::string& key);

}  // namespace lvs::ctl
