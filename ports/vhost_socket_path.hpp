#pragma once
// The vhost-user socket path rule, without DPDK: ctl/ checks options:vhost-server-path with it
// when it validates a configuration, the vhost port again when it opens.
#include <sys/un.h>

#include <string>

namespace lvs::ports {

// What is wrong with a socket path for vhost-user (empty when fine): it must be absolute, fit
// sun_path, and hold no ',' or '=' (devargs separators).
inline std::string check_vhost_socket_path(const std::string& path) {
  if (path.empty() || path[0] != '/') return "socket path \"" + path + "\" is not absolute";
  if (path.size() >= sizeof(sockaddr_un::sun_path))
    return "socket path \"" + path + "\" is longer than " +
           std::to_string(sizeof(sockaddr_un::sun_path) - 1) + " characters";
  // The path travels in devargs, whose parser splits at ',' and '='.
  for (char c : {',', '='})
    if (path.find(c) != std::string::npos)
      return "socket path \"" + path + "\" contains '" + std::string(1, c) + "'";
  return "";
}

}  // namespace lvs::ports
