#include "ctl/capabilities.hpp"

#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

// Older headers may not name the newer capabilities.
#ifndef CAP_BPF
#define CAP_BPF 39
#endif

namespace lvs::ctl {
namespace {

std::string errno_text(const char* call) { return std::string(call) + ": " + std::strerror(errno); }

int last_capability() {
  // /proc/sys/kernel/cap_last_cap names the kernel's highest capability; probing with
  // PR_CAPBSET_READ works without /proc.
  int last = CAP_LAST_CAP;
  while (::prctl(PR_CAPBSET_READ, last + 1, 0, 0, 0) >= 0) ++last;
  return last;
}

}  // namespace

const std::vector<int>& capabilities_kept() {
  static const std::vector<int> kept = {CAP_NET_ADMIN, CAP_NET_RAW, CAP_IPC_LOCK,    CAP_SYS_NICE,
                                        CAP_SYS_ADMIN, CAP_BPF,     CAP_SYS_RESOURCE};
  return kept;
}

std::string capability_name(int cap) {
  static const char* const names[] = {"chown",
                                      "dac_override",
                                      "dac_read_search",
                                      "fowner",
                                      "fsetid",
                                      "kill",
                                      "setgid",
                                      "setuid",
                                      "setpcap",
                                      "linux_immutable",
                                      "net_bind_service",
                                      "net_broadcast",
                                      "net_admin",
                                      "net_raw",
                                      "ipc_lock",
                                      "ipc_owner",
                                      "sys_module",
                                      "sys_rawio",
                                      "sys_chroot",
                                      "sys_ptrace",
                                      "sys_pacct",
                                      "sys_admin",
                                      "sys_boot",
                                      "sys_nice",
                                      "sys_resource",
                                      "sys_time",
                                      "sys_tty_config",
                                      "mknod",
                                      "lease",
                                      "audit_write",
                                      "audit_control",
                                      "setfcap",
                                      "mac_override",
                                      "mac_admin",
                                      "syslog",
                                      "wake_alarm",
                                      "block_suspend",
                                      "audit_read",
                                      "perfmon",
                                      "bpf",
                                      "checkpoint_restore"};
  if (cap >= 0 && static_cast<size_t>(cap) < std::size(names))
    return std::string("cap_") + names[cap];
  return "cap_" + std::to_string(cap);
}

Result<std::string> drop_unneeded_capabilities() {
  const auto& kept = capabilities_kept();
  auto keep = [&](int cap) { return std::find(kept.begin(), kept.end(), cap) != kept.end(); };
  // The bounding set first: dropping from it needs CAP_SETPCAP, which goes last.
  for (int cap = 0, last = last_capability(); cap <= last; ++cap)
    if (!keep(cap) && ::prctl(PR_CAPBSET_READ, cap, 0, 0, 0) == 1 &&
        ::prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0)
      return make_error(kErrIo,
                        errno_text("prctl(PR_CAPBSET_DROP)") + " for " + capability_name(cap));

  // Keep only what is both wanted and held now: capset refuses to add, and a daemon started
  // without some capability goes on without it.
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct have[_LINUX_CAPABILITY_U32S_3]{};
  if (::syscall(SYS_capget, &header, have) != 0) return make_error(kErrIo, errno_text("capget"));
  __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3]{};
  std::string names;
  for (int cap : kept) {
    const unsigned word = static_cast<unsigned>(cap) / 32,
                   bit = 1u << (static_cast<unsigned>(cap) % 32);
    if (word >= _LINUX_CAPABILITY_U32S_3 || !(have[word].permitted & bit)) continue;
    data[word].permitted |= bit;
    data[word].effective |= bit;
    names += (names.empty() ? "" : ",") + capability_name(cap);
  }
  header = {_LINUX_CAPABILITY_VERSION_3, 0};
  if (::syscall(SYS_capset, &header, data) != 0) return make_error(kErrIo, errno_text("capset"));
  if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
    return make_error(kErrIo, errno_text("prctl(PR_SET_NO_NEW_PRIVS)"));
  return names;
}

}  // namespace lvs::ctl
