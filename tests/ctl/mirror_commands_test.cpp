// add-mirror / del-mirror through the engine (one transaction each, as the daemon runs them):
// what is stored, how show lists it, what is refused (and that a refusal changes nothing), and
// that the database keeps mirrors.
#include <gtest/gtest.h>

#include "ctl/commands.hpp"
#include "ctl/config_json.hpp"
#include "ctl/output_format.hpp"
#include "ctl/service.hpp"
#include "ctl/vsctl_args.hpp"
#include "tests/ctl/fake_runtime.hpp"
#include "tests/ctl/vsctl_in_process.hpp"

namespace lvs::ctl {
namespace {

class MirrorCommandsTest : public testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(vsctl("add-br br1 -- add-port br1 p1 tag=10 -- add-port br1 p2 -- add-port br1 p3"),
              "");
  }
  std::string vsctl(const std::string& line) { return test::run_vsctl(service, line); }
  const std::vector<MirrorSpec>& mirrors() { return service.config().find_bridge("br1")->mirrors; }

  test::FakeRuntime runtime;
  Service service{default_config(), "", nullptr, &runtime};
};

TEST_F(MirrorCommandsTest, AddMirrorStoresTheSelectionAndShowListsIt) {
  EXPECT_EQ(vsctl("add-mirror br1 m1 --src p1,p2 --dst p2 --vlan 10,20 --output p3"), "");
  ASSERT_EQ(mirrors().size(), 1u);
  const MirrorSpec& m = mirrors()[0];
  EXPECT_EQ(m.select_src, (std::vector<std::string>{"p1", "p2"}));
  EXPECT_EQ(m.select_dst, (std::vector<std::string>{"p2"}));
  EXPECT_EQ(m.select_vlan, (std::vector<int>{10, 20}));
  EXPECT_EQ(m.output_port, "p3");
  EXPECT_EQ(vsctl("add-mirror br1 m2 --output-pcap=/var/tmp/m2.pcap --pcap-max-size 5"), "");
  const std::string show = vsctl("show");
  EXPECT_NE(show.find("        Mirror m1\n            select_src_port: [p1, p2]\n"
                      "            select_dst_port: [p2]\n            select_vlan: [10, 20]\n"
                      "            output_port: p3\n"),
            std::string::npos)
      << show;
  EXPECT_NE(show.find("        Mirror m2\n            select_all: true\n"
                      "            output_pcap: \"/var/tmp/m2.pcap\" (rotated past 5 MB)\n"),
            std::string::npos)
      << show;
  // The database document keeps them (and reads them back the same).
  auto back = config_from_json(to_json(service.config()));
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(back->find_bridge("br1")->mirrors, mirrors());
  EXPECT_EQ(vsctl("del-mirror br1 m1"), "");
  EXPECT_EQ(vsctl("del-mirror br1 m1"), "ERROR: bridge br1 has no mirror named m1");
  EXPECT_EQ(vsctl("--if-exists del-mirror br1 m1"), "");
  EXPECT_EQ(mirrors().size(), 1u);
}

TEST_F(MirrorCommandsTest, BadMirrorsAreRefusedNamingTheWordAndChangeNothing) {
  ASSERT_EQ(vsctl("add-mirror br1 m1 --src p1 --output p3"), "");
  const Config before = service.config();
  EXPECT_EQ(vsctl("add-mirror brx m2 --output p3"), "ERROR: no bridge named brx");
  EXPECT_EQ(vsctl("add-mirror br1 m1 --output p2"),
            "ERROR: bridge br1 already has a mirror named m1");
  EXPECT_EQ(vsctl("add-mirror br1 m2 --src nosuch --output p2"),
            "ERROR: mirror m2: port nosuch is not on bridge br1");
  EXPECT_EQ(vsctl("add-mirror br1 m2 --src p2 --output p2"),
            "ERROR: mirror m2: output port p2 cannot also be a source (--src/--dst)");
  EXPECT_EQ(vsctl("add-mirror br1 m2 --output nosuch"),
            "ERROR: mirror m2: output port nosuch is not on bridge br1");
  EXPECT_EQ(vsctl("add-mirror br1 m2 --src p1"),
            "ERROR: mirror m2: needs an output (--output PORT or --output-pcap FILE)");
  EXPECT_EQ(vsctl("add-mirror br1 m2 --output p2 --output-pcap /tmp/a.pcap"),
            "ERROR: mirror m2: --output and --output-pcap are exclusive");
  EXPECT_EQ(vsctl("add-mirror br1 m2 --output-pcap a.pcap"),
            "ERROR: mirror m2: --output-pcap \"a.pcap\" is not an absolute file path");
  EXPECT_EQ(vsctl("add-mirror br1 m2 --vlan 5000 --output p2"),
            "ERROR: add-mirror: --vlan \"5000\" is not a VLAN id (0..4095)");
  EXPECT_EQ(vsctl("add-mirror br1 m2 --output p3"),
            "ERROR: mirror m2: port p3 is already the output of another mirror");
  EXPECT_EQ(vsctl("add-mirror br1 m2 --src p3 --output p2"),
            "ERROR: mirror m2: port p3 is the output of another mirror");
  EXPECT_EQ(vsctl("add-mirror br1 m2 --bogus x --output p2"),
            "ERROR: add-mirror: unknown option \"--bogus\" (--src, --dst, --vlan, --output, "
            "--output-pcap, --pcap-max-size)");
  EXPECT_EQ(vsctl("add-mirror br1 m2 --output p2 --pcap-max-size 3"),
            "ERROR: add-mirror: --pcap-max-size goes with --output-pcap");
  EXPECT_EQ(vsctl("capture p1 -w -"),
            "ERROR: capture streams frames: run it alone (vsctl capture PORT -w FILE|-), not in a "
            "chain of commands");
  EXPECT_EQ(service.config(), before);
}

TEST_F(MirrorCommandsTest, DeletingAPortTakesItOutOfMirrorsAndDropsTheMirrorsItWasOutputOf) {
  ASSERT_EQ(vsctl("add-mirror br1 m1 --src p1,p2 --output p3"), "");
  ASSERT_EQ(vsctl("add-mirror br1 only --src p2 --output-pcap /tmp/o.pcap"), "");
  ASSERT_EQ(vsctl("add-mirror br1 all --output-pcap /tmp/all.pcap"), "");
  EXPECT_EQ(vsctl("del-port p2"), "");
  ASSERT_EQ(mirrors().size(), 2u);  // "only" selected nothing else: gone, not widened to all
  EXPECT_EQ(mirrors()[0].select_src, (std::vector<std::string>{"p1"}));
  EXPECT_TRUE(mirrors()[1].select_all());
  EXPECT_EQ(vsctl("del-port p3"), "");
  ASSERT_EQ(mirrors().size(), 1u);
  EXPECT_EQ(mirrors()[0].name, "all");
}

}  // namespace
}  // namespace lvs::ctl
