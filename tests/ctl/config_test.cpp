// Names as they enter the configuration (config.cpp validate_name): what vsctl, vsattach and a
// hand-edited database may not name a bridge or a port.
#include "ctl/config.hpp"

#include <gtest/gtest.h>

namespace lvs::ctl {
namespace {

TEST(ConfigNamesTest, NamesThatReadAsOptionsOrNameTheLoopbackAreRefused) {
  auto dash = validate_name("bridge", "--help");
  ASSERT_TRUE(dash);
  EXPECT_EQ(dash->code, kErrInvalid);
  EXPECT_EQ(dash->message, "bridge name \"--help\" begins with '-' (it would read as an option)");
  EXPECT_TRUE(validate_name("port", "-p1"));
  auto lo = validate_name("port", "lo");
  ASSERT_TRUE(lo);
  EXPECT_EQ(lo->message, "port name \"lo\" is the loopback interface");
  EXPECT_TRUE(validate_name("bridge", "lo"));
  // Still fine: a dash inside, names that merely start like lo.
  EXPECT_FALSE(validate_name("port", "veth-1"));
  EXPECT_FALSE(validate_name("port", "lo0"));
  EXPECT_FALSE(validate_name("port", "low"));
  // Control characters were already refused: they are not name characters.
  EXPECT_TRUE(validate_name("port", "p\x1b[2J"));
}

TEST(ConfigNamesTest, ValidateRefusesThemWhereverTheyCameFrom) {
  Config c = default_config();
  PortConfig p;
  p.name = "lo";
  c.bridges[0].ports.push_back(p);
  auto e = validate(c);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->message, "port name \"lo\" is the loopback interface");
  c = default_config();
  c.bridges[0].name = "-br";
  EXPECT_EQ(validate(c)->message,
            "bridge name \"-br\" begins with '-' (it would read as an option)");
}

}  // namespace
}  // namespace lvs::ctl
