#pragma once
// Whether this process holds a capability in its effective set: a test that needs one skips
// (visibly, GTEST_SKIP) only when it is missing, and fails on any other refusal.
#include <linux/capability.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace lvs::test {

inline bool has_effective_capability(int cap) {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2]{};
  if (syscall(SYS_capget, &header, data) != 0) return false;
  return (data[cap / 32].effective >> (cap % 32)) & 1u;
}

}  // namespace lvs::test
