#pragma once
// The libnl handles link_ops.cpp and route_ops.cpp share: a connected NETLINK_ROUTE socket of the
// calling thread's namespace (netns.hpp runs netlink work on a thread inside a container), owners
// that release addresses and caches, and an Error naming what failed.
#include <netlink/cache.h>
#include <netlink/errno.h>
#include <netlink/netlink.h>

#include <memory>
#include <string>

#include "ctl/error.hpp"

namespace lvs::ctl::netlink {

inline Error nl_error(const std::string& what, int err) {
  return make_error(kErrIo, what + ": " + nl_geterror(err));
}

struct Sock {
  nl_sock* s = nl_socket_alloc();
  int err = s ? nl_connect(s, NETLINK_ROUTE) : -NLE_NOMEM;
  Sock() = default;
  Sock(const Sock&) = delete;
  Sock& operator=(const Sock&) = delete;
  ~Sock() {
    if (s) nl_socket_free(s);
  }
};

struct AddrDeleter {
  void operator()(nl_addr* a) const { nl_addr_put(a); }
};
using NlAddrPtr = std::unique_ptr<nl_addr, AddrDeleter>;

struct CacheDeleter {
  void operator()(nl_cache* c) const { nl_cache_free(c); }
};
using CachePtr = std::unique_ptr<nl_cache, CacheDeleter>;

}  // namespace lvs::ctl::netlink
