#pragma once
// Socket options as the ports and tunnels set them.
#include <sys/socket.h>

namespace lvs::ports {

inline bool set_int(int fd, int level, int opt, int value) {
  return setsockopt(fd, level, opt, &value, sizeof(value)) == 0;
}

// Buffers of `bytes` even above net.core.rmem_max / wmem_max where the process may
// (CAP_NET_ADMIN: the FORCE options), else as large as those limits allow.
inline void set_rcvbuf(int fd, int bytes) {
  if (!set_int(fd, SOL_SOCKET, SO_RCVBUFFORCE, bytes)) set_int(fd, SOL_SOCKET, SO_RCVBUF, bytes);
}
inline void set_sndbuf(int fd, int bytes) {
  if (!set_int(fd, SOL_SOCKET, SO_SNDBUFFORCE, bytes)) set_int(fd, SOL_SOCKET, SO_SNDBUF, bytes);
}

}  // namespace lvs::ports
