#include "ctl/peer_credentials.hpp"

#include <grp.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>

namespace lvs::ctl {

Result<PeerCredentials> read_peer_credentials(int fd) {
  ucred cred{};
  socklen_t len = sizeof(cred);
  if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0)
    return make_error(kErrIo, std::string("SO_PEERCRED: ") + std::strerror(errno));
  PeerCredentials peer{cred.pid, cred.uid, cred.gid, {}};
  // SO_PEERGROUPS (Linux 4.13+) reports ERANGE with the size it needs when the buffer is short.
  std::vector<gid_t> groups(16);
  for (int tries = 0; tries < 4; ++tries) {
    socklen_t bytes = static_cast<socklen_t>(groups.size() * sizeof(gid_t));
    if (::getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups.data(), &bytes) == 0) {
      groups.resize(bytes / sizeof(gid_t));
      peer.groups = std::move(groups);
      return peer;
    }
    if (errno != ERANGE)
      return make_error(kErrIo, std::string("SO_PEERGROUPS: ") + std::strerror(errno));
    groups.resize(bytes / sizeof(gid_t) + 1);
  }
  return make_error(kErrIo, "SO_PEERGROUPS: group list keeps growing");
}

bool peer_allowed(const AccessPolicy& policy, const PeerCredentials& peer) {
  if (peer.uid == 0 || peer.uid == policy.owner_uid) return true;
  if (!policy.group) return false;
  const gid_t g = *policy.group;
  return peer.gid == g || std::find(peer.groups.begin(), peer.groups.end(), g) != peer.groups.end();
}

std::string describe_refusal(const AccessPolicy& policy, const PeerCredentials& peer) {
  std::string why = "permission denied: uid " + std::to_string(peer.uid) + " (gid " +
                    std::to_string(peer.gid) + ", pid " + std::to_string(peer.pid) +
                    ") is not root, not uid " + std::to_string(policy.owner_uid);
  if (policy.group) why += " and not in group " + std::to_string(*policy.group);
  return why;
}

Result<gid_t> resolve_group(const std::string& name) {
  if (name.empty()) return make_error(kErrInvalid, "--socket-group: empty group name");
  gid_t gid = 0;
  const char* end = name.data() + name.size();
  if (auto [p, ec] = std::from_chars(name.data(), end, gid); ec == std::errc() && p == end)
    return gid;
  group grp{};
  group* found = nullptr;
  std::vector<char> buf(16384);
  const int rc = ::getgrnam_r(name.c_str(), &grp, buf.data(), buf.size(), &found);
  if (rc != 0)
    return make_error(kErrIo,
                      "--socket-group: cannot look up \"" + name + "\": " + std::strerror(rc));
  if (!found) return make_error(kErrNotFound, "--socket-group: no group named \"" + name + "\"");
  return found->gr_gid;
}

}  // namespace lvs::ctl
