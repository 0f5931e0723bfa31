#pragma once
// EAL lifecycle: one rte_eal_init per process (DPDK cannot re-initialise after cleanup).
#include <string>
#include <vector>

namespace lvs::dpdk {

struct EalOptions {
  std::string program = "lite-vswitch";
  // Empty: "lvs-<pid>", unique so that several processes (tests, daemons) run side by side.
  std::string file_prefix;
  // auto: hugepages when free 2 MB pages exist, else --no-huge.
  enum class Huge { kAuto, kOn, kOff } huge = Huge::kAuto;
  unsigned no_huge_memory_mb = 512;
  std::string log_level = "*:warning";
  std::vector<std::string> extra_args;  // e.g. --vdev net_null0 (user's --eal "ARGS")
  // Container hosts keep their NICs in the kernel: PCI devices are probed only when the extra
  // arguments name some (-a / --allow).
};

struct EalStatus {
  bool ok = false;
  bool hugepages = false;
  std::string error;              // rte_strerror text when !ok
  std::vector<std::string> args;  // the argv given to rte_eal_init, for logs
};

// Initialises the EAL once; later calls return the first call's status. Restores the calling
// thread's CPU affinity afterwards so that non-PMD threads are not pinned to the main lcore.
const EalStatus& init_eal(const EalOptions& options = {});

bool eal_ready();

// Free 2 MB hugepages on this machine (from sysfs), 0 when none or unreadable.
unsigned free_hugepages_2mb();

// Splits a user-supplied argument string on blanks (the --eal "ARGS" option).
std::vector<std::string> split_args(const std::string& text);

}  // namespace lvs::dpdk
