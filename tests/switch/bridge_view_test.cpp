// BridgePortView keeps what the pipeline reads per frame in its first cache line, the VLAN
// trunk bitset after it.
#include "switch/bridge_view.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace lvs::test {
namespace {

TEST(BridgePortView, HotFieldsShareTheFirstCacheLineOfEveryPort) {
  static_assert(alignof(sw::BridgePortView) == 64);
  std::vector<sw::BridgePortView> ports(3);
  for (const auto& pv : ports) {
    const auto* base = reinterpret_cast<const char*>(&pv);
    auto in_first_line = [&](const void* field, size_t size) {
      const auto off = static_cast<const char*>(field) - base;
      return off >= 0 && off + static_cast<ptrdiff_t>(size) <= 64;
    };
    EXPECT_EQ(reinterpret_cast<uintptr_t>(base) % 64, 0u);
    EXPECT_TRUE(in_first_line(&pv.port, sizeof(pv.port)));
    EXPECT_TRUE(in_first_line(&pv.tx_slot, sizeof(pv.tx_slot)));
    EXPECT_TRUE(in_first_line(&pv.rx_mirrors, sizeof(pv.rx_mirrors)));
    EXPECT_TRUE(in_first_line(&pv.admin_up, 1));
    EXPECT_TRUE(in_first_line(&pv.split_horizon_group, 1));
    EXPECT_TRUE(in_first_line(&pv.protected_port, 1));
    // VlanPolicy begins with its mode, tag and trunks-all flag (8 bytes with padding).
    EXPECT_TRUE(in_first_line(&pv.vlan, 8));
  }
}

}  // namespace
}  // namespace lvs::test
