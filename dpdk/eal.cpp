#include "dpdk/eal.hpp"

#include <pthread.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <sched.h>
#include <unistd.h>

#include <fstream>
#include <mutex>
#include <sstream>

namespace lvs::dpdk {
namespace {

EalStatus g_status;
std::once_flag g_once;

bool hugetlbfs_mounted() {
  std::ifstream mounts("/proc/mounts");
  std::string line;
  while (std::getline(mounts, line)) {
    if (line.find(" hugetlbfs ") != std::string::npos) return true;
  }
  return false;
}

void do_init(const EalOptions& o) {
  bool huge = false;
  switch (o.huge) {
    case EalOptions::Huge::kOn:
      huge = true;
      break;
    case EalOptions::Huge::kOff:
      huge = false;
      break;
    case EalOptions::Huge::kAuto:
      huge = free_hugepages_2mb() >= 64 && hugetlbfs_mounted();
      break;
  }
  std::vector<std::string> args{o.program};
  args.push_back("--file-prefix=" +
                 (o.file_prefix.empty() ? "lvs-" + std::to_string(getpid()) : o.file_prefix));
  if (huge) {
    args.push_back("--in-memory");
  } else {
    args.push_back("--no-huge");
    args.push_back("--no-shconf");
    args.push_back("-m");
    args.push_back(std::to_string(o.no_huge_memory_mb));
  }
  args.push_back("--no-telemetry");
  bool wants_pci = false;
  for (const auto& a : o.extra_args)
    wants_pci |= a.rfind("-a", 0) == 0 || a.rfind("--allow", 0) == 0;
  if (!wants_pci) args.push_back("--no-pci");
  if (!o.log_level.empty()) args.push_back("--log-level=" + o.log_level);
  for (const auto& a : o.extra_args) args.push_back(a);

  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);

  // rte_eal_init pins the calling thread to the main lcore; threads created later inherit
  // that mask. Keep the control plane free to run anywhere.
  cpu_set_t saved;
  CPU_ZERO(&saved);
  const bool have_mask = sched_getaffinity(0, sizeof(saved), &saved) == 0;

  std::vector<std::string> arg_copy = args;  // rte_eal_init may permute argv
  const int rc = rte_eal_init(static_cast<int>(argv.size() - 1), argv.data());
  g_status.args = std::move(arg_copy);
  g_status.hugepages = huge;
  if (rc < 0) {
    g_status.ok = false;
    g_status.error = std::string("rte_eal_init failed: ") + rte_strerror(rte_errno);
  } else {
    g_status.ok = true;
  }
  if (have_mask) sched_setaffinity(0, sizeof(saved), &saved);
}

}  // namespace

const EalStatus& init_eal(const EalOptions& options) {
  std::call_once(g_once, [&] { do_init(options); });
  return g_status;
}

bool eal_ready() { return g_status.ok; }

unsigned free_hugepages_2mb() {
  std::ifstream f("/sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages");
  unsigned n = 0;
  if (f >> n) return n;
  return 0;
}

std::vector<std::string> split_args(const std::string& text) {
  std::istringstream in(text);
  std::vector<std::string> out;
  std::string word;
  while (in >> word) out.push_back(word);
  return out;
}

}  // namespace lvs::dpdk
