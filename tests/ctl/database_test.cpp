// Configuration model, JSON document and database file.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "ctl/config_json.hpp"
#include "ctl/database.hpp"
#include "ctl/vlan_mapping.hpp"

namespace lvs::ctl {
namespace {

namespace fs = std::filesystem;

class DatabaseTest : public testing::Test {
 protected:
  void SetUp() override {
    dir = fs::temp_directory_path() / ("lvs-db-test-" + std::to_string(getpid()) + "-" +
                                       testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir);
    fs::create_directories(dir);
    path = (dir / "conf.json").string();
  }
  void TearDown() override { fs::remove_all(dir); }
  static std::string read(const std::string& p) {
    std::ifstream in(p);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }
  static Config sample() {
    Config c = default_config();
    PortConfig p;
    p.name = "p1";
    p.type = "dpdk";
    p.options["dpdk-devargs"] = "net_null0";
    p.tag = 10;
    p.external_ids["container"] = "web";
    p.mtu_request = 9000;
    PortConfig t;
    t.name = "t1";
    t.trunks = {10, 20};
    t.vlan_mode = "native-tagged";
    t.admin_up = false;
    c.bridges[0].ports = {p, t};
    c.bridges[0].other_config[kMacAgingTime] = "60";
    c.bridges[0].static_macs.push_back({"p1", 10, "00:11:22:33:44:55"});
    return c;
  }
  fs::path dir;
  std::string path;
};

TEST_F(DatabaseTest, MissingFileIsNoDatabase) {
  auto r = load_database(path);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->has_value());
}

TEST_F(DatabaseTest, SaveThenLoadRoundTrips) {
  ASSERT_FALSE(save_database(path, sample()));
  auto r = load_database(path);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(**r, sample());
  EXPECT_EQ(to_json(**r)["schema_version"], kSchemaVersion);
  // No temp file is left beside it.
  size_t files = 0;
  for (const auto& e : fs::directory_iterator(dir)) files += e.path().filename() != "conf.json";
  EXPECT_EQ(files, 0u);
}

TEST_F(DatabaseTest, GlobalOtherConfigRoundTripsAndOlderDocumentsLoadWithDefaults) {
  Config c = sample();
  c.other_config[kPmdSleep] = "off";
  c.other_config[kPmdQuietUs] = "1000";
  ASSERT_FALSE(save_database(path, c));
  EXPECT_EQ(to_json(c)["open_vswitch"]["other_config"][kPmdSleep], "off");
  auto r = load_database(path);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(**r, c);
  EXPECT_FALSE((*r)->pmd_sleep_adaptive());
  EXPECT_EQ((*r)->pmd_quiet_us(), 1000u);
  // A document without the global section (as written before it existed) loads with defaults,
  // and one without settings is written without it.
  EXPECT_FALSE(to_json(sample()).contains("open_vswitch"));
  auto old = config_from_json(to_json(sample()));
  ASSERT_TRUE(old.ok()) << old.error().message;
  EXPECT_TRUE(old->pmd_sleep_adaptive());
  EXPECT_EQ(old->pmd_quiet_us(), kDefaultQuietUs);
  // Bad values are refused naming the word.
  auto doc = to_json(c);
  doc["open_vswitch"]["other_config"][kPmdSleep] = "sometimes";
  EXPECT_EQ(config_from_json(doc).error().message,
            "Open_vSwitch: other_config:pmd-sleep \"sometimes\" is not off or adaptive");
  doc["open_vswitch"] = {{"other_config", {{"pmd-sleep", "off"}}}, {"x", 1}};
  EXPECT_EQ(config_from_json(doc).error().message, "open_vswitch: unknown key \"x\"");
}

TEST_F(DatabaseTest, PortStormControlRoundTripsAndIsWrittenOnlyWhenSet) {
  Config c = sample();
  c.bridges[0].ports[1].other_config[kStormBroadcastPps] = "1000";
  c.bridges[0].ports[1].other_config[kStormUnknownUnicastPps] = "0";
  ASSERT_FALSE(save_database(path, c));
  auto r = load_database(path);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(**r, c);
  const PortConfig& t = (*r)->bridges[0].ports[1];
  EXPECT_EQ(t.storm_pps(kStormBroadcastPps), 1000u);
  EXPECT_EQ(t.storm_pps(kStormUnknownUnicastPps), 0u);
  EXPECT_EQ(t.storm_pps(kStormMulticastPps), std::nullopt);
  EXPECT_FALSE(to_json(sample())["bridges"][0]["ports"][0].contains("other_config"));
  auto doc = to_json(c);
  doc["bridges"][0]["ports"][1]["other_config"][kStormMulticastPps] = "-5";
  EXPECT_EQ(config_from_json(doc).error().message,
            "port t1: other_config:storm-multicast-pps \"-5\" is not in 0..100000000 (frames per "
            "second)");
}

TEST_F(DatabaseTest, SaveReplacesAtomically) {
  ASSERT_FALSE(save_database(path, default_config()));
  const auto inode_before = fs::status(path).type();
  ASSERT_FALSE(save_database(path, sample()));
  EXPECT_EQ(fs::status(path).type(), inode_before);
  EXPECT_EQ(**load_database(path), sample());
}

TEST_F(DatabaseTest, CorruptFileIsRefusedWithTheReason) {
  { std::ofstream(path) << "{\"schema_version\": 1, \"bridges\": [ {\"name\": \"br0\""; }
  auto r = load_database(path);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("not valid JSON"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find(path), std::string::npos);
}

TEST_F(DatabaseTest, InvalidDocumentNamesTheField) {
  auto doc = to_json(sample());
  doc["bridges"][0]["ports"][1]["tag"] = "ten";
  EXPECT_EQ(config_from_json(doc).error().message, "bridges[0].ports[1].tag: expected an integer or null");
  doc = to_json(sample());
  doc["bridges"][0]["ports"][0]["colour"] = "red";
  EXPECT_EQ(config_from_json(doc).error().message, "bridges[0].ports[0]: unknown key \"colour\"");
  doc = to_json(sample());
  doc["schema_version"] = 99;
  EXPECT_EQ(config_from_json(doc).error().message, "schema_version: 99 is not supported (expected 1)");
  doc = to_json(sample());
  doc["bridges"][0]["ports"][0]["tag"] = 4096;
  EXPECT_EQ(config_from_json(doc).error().message, "port p1: tag 4096 is not in 0..4095");
  doc = to_json(sample());
  doc["bridges"][0]["static_macs"][0]["port"] = "gone";
  EXPECT_EQ(config_from_json(doc).error().message,
            "bridge br0: static MAC 00:11:22:33:44:55 names port gone which is not on the bridge");
  doc = to_json(sample());
  doc["bridges"].push_back(doc["bridges"][0]);
  doc["bridges"][1]["name"] = "br1";
  EXPECT_EQ(config_from_json(doc).error().message, "port p1 is on more than one bridge");
}

TEST_F(DatabaseTest, LockIsExclusive) {
  auto first = DatabaseLock::acquire(path);
  ASSERT_TRUE(first.ok());
  // flock locks belong to the open file description: a second open conflicts, even in-process.
  auto second = DatabaseLock::acquire(path);
  ASSERT_FALSE(second.ok());
  EXPECT_NE(second.error().message.find("in use by another vswitchd"), std::string::npos);
}

// Symbolic links planted where the daemon writes (issue 12): refused, their targets untouched.
TEST_F(DatabaseTest, APlantedTempFileLinkIsRefusedAndItsTargetUntouched) {
  ASSERT_FALSE(save_database(path, default_config()));
  const std::string before = read(path);
  const std::string target = (dir / "target").string();
  { std::ofstream(target) << "precious\n"; }
  const std::string tmp = path + ".tmp." + std::to_string(getpid());
  fs::create_symlink(target, tmp);
  auto e = save_database(path, sample());
  ASSERT_TRUE(e);
  EXPECT_EQ(e->message, tmp + " is a symbolic link (refusing to write through it; remove it)");
  EXPECT_EQ(read(target), "precious\n");
  EXPECT_EQ(read(path), before);
  // A dangling link is no better: nothing is created where it points.
  fs::remove(tmp);
  fs::create_symlink((dir / "nowhere").string(), tmp);
  EXPECT_TRUE(save_database(path, sample()));
  EXPECT_FALSE(fs::exists(dir / "nowhere"));
}

TEST_F(DatabaseTest, AStaleTempFileOfOursIsReplaced) {
  const std::string tmp = path + ".tmp." + std::to_string(getpid());
  { std::ofstream(tmp) << "half a document"; }
  ASSERT_FALSE(save_database(path, sample()));
  EXPECT_FALSE(fs::exists(tmp));
  EXPECT_EQ(**load_database(path), sample());
}

TEST_F(DatabaseTest, APlantedLockLinkIsRefused) {
  const std::string target = (dir / "target").string();
  fs::create_symlink(target, path + ".lock");
  auto lock = DatabaseLock::acquire(path);
  ASSERT_FALSE(lock.ok());
  EXPECT_EQ(lock.error().message,
            "lock file: cannot open " + path + ".lock is a symbolic link (refusing to follow it)");
  EXPECT_FALSE(fs::exists(target));
}

TEST_F(DatabaseTest, ADirectoryOthersMayWriteIsRefused) {
  fs::permissions(dir, fs::perms::all | fs::perms::sticky_bit);  // as /tmp
  auto e = save_database(path, sample());
  ASSERT_TRUE(e);
  EXPECT_EQ(e->message, "database directory " + dir.string() +
                            " is writable by others (mode 1777): refusing to create files in it "
                            "(use a directory only root or this user may write, e.g. chmod 0755)");
  EXPECT_FALSE(DatabaseLock::acquire(path).ok());
  EXPECT_FALSE(fs::exists(path));
  // A link in place of the directory is refused too.
  fs::permissions(dir, fs::perms::owner_all);
  const fs::path real = dir / "real", linked = dir / "linked";
  fs::create_directories(real);
  fs::create_symlink(real, linked);
  e = save_database((linked / "conf.json").string(), sample());
  ASSERT_TRUE(e);
  EXPECT_EQ(e->message,
            "database directory " + linked.string() + " is a symbolic link (refusing to follow it)");
  EXPECT_TRUE(fs::is_empty(real));
}

TEST_F(DatabaseTest, ADeeplyNestedDocumentIsRefusedNotCrashedOn) {
  { std::ofstream(path) << std::string(200000, '[') << std::string(200000, ']'); }
  auto r = load_database(path);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("nested deeper than 64 levels"), std::string::npos)
      << r.error().message;
}

TEST(VlanMappingTest, FollowsOvsDefaults) {
  PortConfig p;
  EXPECT_EQ(to_vlan_policy(p), sw::VlanPolicy::trunk({}));
  p.tag = 10;
  EXPECT_EQ(to_vlan_policy(p), sw::VlanPolicy::access(10));
  p.trunks = {10, 20};
  p.vlan_mode = "native-untagged";
  EXPECT_EQ(to_vlan_policy(p), sw::VlanPolicy::native(sw::VlanMode::kNativeUntagged, 10, {10, 20}));
  p.vlan_mode = "trunk";
  EXPECT_EQ(to_vlan_policy(p), sw::VlanPolicy::trunk({10, 20}));
  p.tag.reset();
  p.vlan_mode = "access";
  EXPECT_EQ(to_vlan_policy(p), sw::VlanPolicy::access(0));
}

}  // namespace
}  // namespace lvs::ctl
