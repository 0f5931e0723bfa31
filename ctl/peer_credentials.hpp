#pragma once
// Who may talk to the control socket. The socket file's mode (0660, owner root, group
// --socket-group) is the first gate; the peer's credentials (SO_PEERCRED, SO_PEERGROUPS) are
// checked again on every connection, so a socket whose mode was loosened by hand, or a descriptor
// passed to another process, still admits only root, the daemon's own user and the group's members.
#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "ctl/error.hpp"

namespace lvs::ctl {

struct PeerCredentials {
  pid_t pid = 0;
  uid_t uid = 0;
  gid_t gid = 0;
  std::vector<gid_t> groups;  // supplementary groups
};

struct AccessPolicy {
  uid_t owner_uid = 0;         // the daemon's effective uid
  std::optional<gid_t> group;  // --socket-group, when given
};

// The credentials of the process at the other end of a connected unix socket.
Result<PeerCredentials> read_peer_credentials(int fd);

// Root, the daemon's own user, or a member of the socket's group (primary or supplementary).
bool peer_allowed(const AccessPolicy& policy, const PeerCredentials& peer);

// "uid 65534 (gid 65534) is not root, not uid 0 and not in group 4": for the refusal reply and log.
std::string describe_refusal(const AccessPolicy& policy, const PeerCredentials& peer);

// A group by name or number; the error names it.
Result<gid_t> resolve_group(const std::string& name);

}  // namespace lvs::ctl
