// main() for every test binary: DPDK's EAL once per process (unique --file-prefix, --no-huge
// when the machine has no hugepages), then GoogleTest.
#include <gtest/gtest.h>

#include "dpdk/eal.hpp"

int main(int argc, char** argv) {
  testing::InitGoogleTest(&argc, argv);
  // gtest_discover_tests lists the tests without running them: no EAL needed for that.
  const bool listing = testing::GTEST_FLAG(list_tests);
  if (!listing) {
    lvs::dpdk::EalOptions o;
    o.program = "lvs-test";
    o.huge = lvs::dpdk::EalOptions::Huge::kOff;  // tests never take the host's hugepages
    o.no_huge_memory_mb = 256;
    o.log_level = "*:error";
    const auto& st = lvs::dpdk::init_eal(o);
    if (!st.ok) {
      fprintf(stderr, "EAL: %s\n", st.error.c_str());
      return 1;
    }
  }
  return RUN_ALL_TESTS();
}
