#pragma once
// The libbpf tc plumbing both loaders share (offload_kernel.cpp here, and
// tunnels/kernel_vxlan_device.cpp): a clsact hook of an interface, the options that name one of
// our filters (its handle and priority are how a restarted daemon finds a killed one's), and
// silencing libbpf's own printing (its failures come back as our one-line errors). Only with
// libbpf (LVS_HAVE_OFFLOAD / LVS_HAVE_KERNEL_VXLAN).
#include <bpf/libbpf.h>

#include <cstdarg>
#include <cstdint>

namespace lvs::ports {

inline bpf_tc_hook tc_hook(int ifindex, bpf_tc_attach_point where) {
  bpf_tc_hook hook{};
  hook.sz = sizeof(hook);
  hook.ifindex = ifindex;
  hook.attach_point = where;
  return hook;
}

inline bpf_tc_opts tc_opts(uint32_t handle, uint32_t priority, int prog_fd = 0) {
  bpf_tc_opts opts{};
  opts.sz = sizeof(opts);
  opts.handle = handle;
  opts.priority = priority;
  opts.prog_fd = prog_fd;
  return opts;
}

inline void libbpf_quiet() {
  libbpf_set_print([](enum libbpf_print_level, const char*, va_list) { return 0; });
}

}  // namespace lvs::ports
