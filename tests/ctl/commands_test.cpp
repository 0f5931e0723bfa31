// Golden outputs of vsctl commands, run through the same engine and formatter as the daemon.
#include <gtest/gtest.h>

#include "ctl/commands.hpp"
#include "ctl/config_json.hpp"
#include "ctl/datapath_driver.hpp"
#include "ctl/output_format.hpp"
#include "ctl/service.hpp"
#include "ctl/vsctl_args.hpp"
#include "tests/ctl/fake_runtime.hpp"
#include "tests/ctl/vsctl_in_process.hpp"

namespace lvs::ctl {
namespace {

class CommandsTest : public testing::Test {
 protected:
  // Runs a vsctl command line through a Service (one transaction) and returns stdout, or
  // "ERROR: <message>" when it fails.
  std::string vsctl(const std::string& line) { return test::run_vsctl(service, line); }

  test::FakeRuntime runtime;
  Service service{default_config(), "", nullptr, &runtime};
};

TEST_F(CommandsTest, AddBrListBrAndBrExists) {
  EXPECT_EQ(vsctl("add-br br1"), "");
  EXPECT_EQ(vsctl("list-br"), "br0\nbr1\n");
  EXPECT_EQ(vsctl("br-exists br1"), "");
  EXPECT_EQ(vsctl("add-br br1"),
            "ERROR: cannot create a bridge named br1 because a bridge named br1 already exists");
  EXPECT_EQ(vsctl("--may-exist add-br br1"), "");
  EXPECT_EQ(vsctl("add-br bad/name"), "ERROR: bridge name \"bad/name\" has an invalid character '/'");
  EXPECT_EQ(vsctl("add-br averyveryverylongname"),
            "ERROR: bridge name \"averyveryverylongname\" is longer than 15 characters");
  EXPECT_EQ(vsctl("--format=json list-br"), "[\"br0\",\"br1\"]\n");
}

TEST_F(CommandsTest, DelBrRemovesItsPorts) {
  vsctl("add-br br1 -- add-port br1 p1 -- add-port br1 p2");
  EXPECT_EQ(vsctl("del-br br1"), "");
  EXPECT_EQ(vsctl("port-to-br p1"), "ERROR: no port named p1");
  EXPECT_EQ(vsctl("del-br br1"), "ERROR: no bridge named br1");
  EXPECT_EQ(vsctl("--if-exists del-br br1"), "");
}

TEST_F(CommandsTest, AddPortWithColumnsAndShow) {
  EXPECT_EQ(vsctl("add-port br0 p1 tag=10 -- add-port br0 t1 trunks=[10,20] vlan_mode=native-untagged "
                  "-- add-port br0 gre0 type=gre options:remote_ip=192.0.2.2 options:key=5"),
            "");
  runtime.states["gre0"].error = "port kind gre not available";
  EXPECT_EQ(vsctl("show"),
            "    Bridge br0\n"
            "        other_config: {nat=\"true\"}\n"
            "        Port br0\n"
            "            Interface br0\n"
            "                type: internal\n"
            "                options: {ip=\"172.17.0.1/16\"}\n"
            "        Port p1\n"
            "            tag: 10\n"
            "            Interface p1\n"
            "        Port t1\n"
            "            trunks: [10, 20]\n"
            "            vlan_mode: native-untagged\n"
            "            Interface t1\n"
            "        Port gre0\n"
            "            Interface gre0\n"
            "                type: gre\n"
            "                options: {key=\"5\", remote_ip=\"192.0.2.2\"}\n"
            "                error: \"port kind gre not available\"\n");
  EXPECT_EQ(vsctl("list-ports br0"), "gre0\np1\nt1\n");
  EXPECT_EQ(vsctl("port-to-br t1"), "br0\n");
}

TEST_F(CommandsTest, AddPortErrorsNameTheBadWord) {
  EXPECT_EQ(vsctl("add-port br9 p1"), "ERROR: no bridge named br9");
  EXPECT_EQ(vsctl("add-port br0 p1 tag=5000"), "ERROR: tag: \"5000\" is not a VLAN id (0..4095)");
  EXPECT_EQ(vsctl("add-port br0 p1 trunks=10,x"), "ERROR: trunks: \"x\" is not a VLAN id (0..4095)");
  EXPECT_EQ(vsctl("add-port br0 p1 vlan_mode=sideways"),
            "ERROR: vlan_mode: \"sideways\" is not one of access, trunk, native-tagged, native-untagged");
  EXPECT_EQ(vsctl("add-port br0 p1 colour=red"), "ERROR: add-port: Port has no column \"colour\"");
  EXPECT_EQ(vsctl("add-port br0 p1 type=warp"), "ERROR: type: unknown port type \"warp\"");
  EXPECT_EQ(vsctl("add-port br0 p1 type=dpdk"), "ERROR: port p1: type dpdk needs options:dpdk-devargs");
  EXPECT_EQ(vsctl("add-port br0 p1 type=dpdkvhostuserclient"),
            "ERROR: port p1: type dpdkvhostuserclient needs options:vhost-server-path");
  EXPECT_EQ(vsctl("add-port br0 p1 type=dpdkvhostuserclient options:vhost-server-path=a.sock"),
            "ERROR: port p1: options:vhost-server-path: socket path \"a.sock\" is not absolute");
  EXPECT_EQ(vsctl("add-port br0 p1 type=dpdkvhostuserclient options:vhost-server-path=/x,y"),
            "ERROR: port p1: options:vhost-server-path: socket path \"/x,y\" contains ','");
  EXPECT_EQ(vsctl("add-port br0 p1 type=dpdkvhostuserclient options:vhost-server-path=/x=y"),
            "ERROR: port p1: options:vhost-server-path: socket path \"/x=y\" contains '='");
  EXPECT_EQ(vsctl("add-port br0 p1 type=dpdkvhostuserclient options:vhost-server-path=/" +
                  std::string(120, 'a')),
            "ERROR: port p1: options:vhost-server-path: socket path \"/" + std::string(120, 'a') +
                "\" is longer than 107 characters");
  EXPECT_EQ(vsctl("add-port br0 p1 options:rx-ring=maybe"),
            "ERROR: port p1: options:rx-ring must be true or false, not 'maybe'");
  EXPECT_EQ(vsctl("add-port br0 v1 type=vxlan options:remote_ip=1.2.3"),
            "ERROR: port v1: options:remote_ip \"1.2.3\" is not an IPv4 or IPv6 address");
  EXPECT_EQ(vsctl("add-port br0"), "ERROR: add-port: expects at least 2 argument(s), got 1");
  EXPECT_EQ(vsctl("frobnicate br0"), "ERROR: unknown command \"frobnicate\"; try vsctl --help");
  EXPECT_EQ(vsctl("--if-exists add-port br0 p1"), "ERROR: add-port: unknown option \"--if-exists\"");
  EXPECT_EQ(vsctl("list-ports br0"), "");
}

TEST_F(CommandsTest, PortOnAnotherBridgeIsRefusedEvenWithMayExist) {
  vsctl("add-br br1 -- add-port br0 p1");
  EXPECT_EQ(vsctl("--may-exist add-port br0 p1"), "");
  EXPECT_EQ(vsctl("--may-exist add-port br1 p1"),
            "ERROR: cannot create a port named p1 because a port named p1 already exists on bridge br0");
}

TEST_F(CommandsTest, DelPort) {
  vsctl("add-br br1 -- add-port br0 p1 -- add-port br0 p2");
  EXPECT_EQ(vsctl("del-port br1 p1"), "ERROR: bridge br1 does not have a port p1");
  EXPECT_EQ(vsctl("del-port br0 p1"), "");
  EXPECT_EQ(vsctl("del-port p2"), "");
  EXPECT_EQ(vsctl("del-port p2"), "ERROR: no port named p2");
  EXPECT_EQ(vsctl("--if-exists del-port p2"), "");
  EXPECT_EQ(vsctl("list-ports br0"), "");
}

TEST_F(CommandsTest, SetGetRemoveClear) {
  vsctl("add-port br0 p1");
  EXPECT_EQ(vsctl("set port p1 tag=100 trunks=1,2,3 external_ids:container=web"), "");
  EXPECT_EQ(vsctl("get port p1 tag trunks external_ids:container"), "100\n[1, 2, 3]\nweb\n");
  EXPECT_EQ(vsctl("remove port p1 trunks 2"), "");
  EXPECT_EQ(vsctl("get Port p1 trunks"), "[1, 3]\n");
  EXPECT_EQ(vsctl("clear port p1 tag trunks"), "");
  EXPECT_EQ(vsctl("get port p1 tag trunks"), "[]\n[]\n");
  EXPECT_EQ(vsctl("set interface p1 type=dpdk options:dpdk-devargs=net_null0 mtu_request=9000"), "");
  EXPECT_EQ(vsctl("get interface p1 type options mtu_request"), "dpdk\n{dpdk-devargs=net_null0}\n9000\n");
  EXPECT_EQ(vsctl("set interface p1 admin_state=down -- get interface p1 admin_state"), "down\n");
  EXPECT_EQ(vsctl("remove interface p1 external_ids container"), "");
  EXPECT_EQ(vsctl("get port p1 external_ids"), "{}\n");
  EXPECT_EQ(vsctl("get port p1 external_ids:nokey"),
            "ERROR: no key \"nokey\" in Port record \"p1\" column external_ids");
  EXPECT_EQ(vsctl("--if-exists get port p1 external_ids:nokey"), "");
  EXPECT_EQ(vsctl("get port p9 tag"), "ERROR: no row \"p9\" in table Port");
  EXPECT_EQ(vsctl("set port p1 colour=red"), "ERROR: Port has no column \"colour\"");
  EXPECT_EQ(vsctl("set sandwich p1 tag=1"),
            "ERROR: unknown table \"sandwich\" (known: Bridge, Port, Interface, Open_vSwitch)");
  EXPECT_EQ(vsctl("set interface p1 statistics:x=1"), "ERROR: column statistics of Interface is read-only");
}

TEST_F(CommandsTest, BridgeOtherConfig) {
  EXPECT_EQ(vsctl("set bridge br0 other_config:mac-aging-time=60 other_config:mac-table-size=1000000 "
                  "other_config:forward-bpdu=true"),
            "");
  EXPECT_EQ(vsctl("get bridge br0 other_config:mac-table-size"), "\"1000000\"\n");
  EXPECT_EQ(vsctl("set bridge br0 other_config:mac-aging-time=5"),
            "ERROR: bridge br0: other_config:mac-aging-time \"5\" is not in 15..3600");
  EXPECT_EQ(vsctl("set bridge br0 other_config:mac-table-size=lots"),
            "ERROR: bridge br0: other_config:mac-table-size \"lots\" is not in 16..4194304");
  EXPECT_EQ(vsctl("set bridge br0 other_config:forward-bpdu=maybe"),
            "ERROR: bridge br0: other_config:forward-bpdu \"maybe\" is not true or false");
  EXPECT_EQ(vsctl("set bridge br0 other_config:mac-agin-time=60"),
            "ERROR: bridge br0: unknown other_config key \"mac-agin-time\" (known: mac-aging-time, "
            "mac-table-size, forward-bpdu, nat, rstp-*, cluster-*)");
  EXPECT_EQ(vsctl("get bridge br0 other_config:mac-aging-time"), "\"60\"\n");
}

TEST_F(CommandsTest, PortStormControlIsSetValidatedShownAndRemoved) {
  vsctl("add-port br0 p1");
  EXPECT_EQ(vsctl("set port p1 other_config:storm-broadcast-pps=1000 "
                  "other_config:storm-multicast-pps=500 other_config:storm-unknown-unicast-pps=0"),
            "");
  EXPECT_EQ(vsctl("get port p1 other_config:storm-broadcast-pps"), "\"1000\"\n");
  EXPECT_EQ(service.config().bridges[0].find_port("p1")->storm_pps(kStormMulticastPps), 500u);
  EXPECT_EQ(vsctl("show"),
            "    Bridge br0\n"
            "        other_config: {nat=\"true\"}\n"
            "        Port br0\n"
            "            Interface br0\n"
            "                type: internal\n"
            "                options: {ip=\"172.17.0.1/16\"}\n"
            "        Port p1\n"
            "            other_config: {storm-broadcast-pps=\"1000\", storm-multicast-pps=\"500\", "
            "storm-unknown-unicast-pps=\"0\"}\n"
            "            Interface p1\n");
  // Errors name the field and change nothing.
  EXPECT_EQ(vsctl("set port p1 other_config:storm-broadcast-pps=fast"),
            "ERROR: port p1: other_config:storm-broadcast-pps \"fast\" is not in 0..100000000 "
            "(frames per second)");
  EXPECT_EQ(vsctl("set port p1 other_config:storm-multicast-pps=100000001"),
            "ERROR: port p1: other_config:storm-multicast-pps \"100000001\" is not in 0..100000000 "
            "(frames per second)");
  EXPECT_EQ(vsctl("set port p1 other_config:storm-broadcast=10"),
            "ERROR: port p1: unknown other_config key \"storm-broadcast\" (known: "
            "storm-broadcast-pps, storm-multicast-pps, storm-unknown-unicast-pps, "
            "egress-rate-kbps, egress-burst-kb, rstp-*)");
  EXPECT_EQ(vsctl("get port p1 other_config:storm-broadcast-pps"), "\"1000\"\n");
  EXPECT_EQ(vsctl("add-port br0 p2 other_config:storm-broadcast-pps=200"), "");
  EXPECT_EQ(service.config().bridges[0].find_port("p2")->storm_pps(kStormBroadcastPps), 200u);
  EXPECT_EQ(vsctl("remove port p1 other_config storm-multicast-pps"), "");
  EXPECT_EQ(vsctl("get port p1 other_config"),
            "{storm-broadcast-pps=\"1000\", storm-unknown-unicast-pps=\"0\"}\n");
  EXPECT_EQ(vsctl("clear port p1 other_config"), "");
  EXPECT_EQ(vsctl("get port p1 other_config"), "{}\n");
  EXPECT_EQ(vsctl("set interface p1 other_config:storm-broadcast-pps=1"),
            "ERROR: Interface has no column \"other_config\"");
}

TEST_F(CommandsTest, AddBrCreatesItsLocalInternalPortAsOvsVsctlDoes) {
  EXPECT_EQ(vsctl("add-br br1"), "");
  EXPECT_EQ(vsctl("get interface br1 type"), "internal\n");
  EXPECT_EQ(vsctl("list-ports br1"), "");  // as ovs-vsctl: the local port is not listed
  EXPECT_EQ(vsctl("port-to-br br1"), "br1\n");
  EXPECT_EQ(vsctl("del-port br1"),
            "ERROR: cannot delete port br1 because it is the local port for bridge br1 (deleting this "
            "port requires deleting the entire bridge)");
  EXPECT_EQ(vsctl("set interface br1 options:ip=10.77.0.1/24,10.78.0.1/16"), "");
  EXPECT_EQ(vsctl("set interface br1 options:ip=10.77.0.1"),
            "ERROR: port br1: options:ip \"10.77.0.1\" is not ADDRESS/PREFIX (e.g. 172.17.0.1/16)");
  EXPECT_EQ(vsctl("add-port br1 p1 options:ip=10.0.0.1/8"), "ERROR: port p1: options:ip is only for internal ports");
  EXPECT_EQ(vsctl("set bridge br1 other_config:nat=yes"),
            "ERROR: bridge br1: other_config:nat \"yes\" is not true or false");
  EXPECT_EQ(vsctl("del-br br1"), "");
  EXPECT_EQ(vsctl("port-to-br br1"), "ERROR: no port named br1");
}

TEST_F(CommandsTest, DefaultBridgeHasDocker0sGatewayAndNat) {
  EXPECT_EQ(vsctl("get interface br0 type options:ip"), "internal\n\"172.17.0.1/16\"\n");
  EXPECT_EQ(vsctl("get bridge br0 other_config:nat"), "\"true\"\n");
}

TEST_F(CommandsTest, PublishedPortsAreValidatedAndUniquePerHost) {
  EXPECT_EQ(vsctl("add-port br0 p1 external_ids:publish=8080:80"),
            "ERROR: port p1: external_ids:publish needs external_ids:container_ip (the DNAT target)");
  EXPECT_EQ(vsctl("add-port br0 p1 external_ids:container_ip=172.17.0.2/16 external_ids:publish=8080:80/sctp"),
            "ERROR: port p1: external_ids:publish \"8080:80/sctp\": protocol \"sctp\" is not tcp or udp");
  EXPECT_EQ(vsctl("add-port br0 p1 external_ids:container_ip=172.17.0.2/16 external_ids:publish=8080:80,53:53/udp"),
            "");
  EXPECT_EQ(vsctl("add-port br0 p2 external_ids:container_ip=172.17.0.3/16 external_ids:publish=8080:81"),
            "ERROR: port p2: host port 8080/tcp is already published by port p1");
  EXPECT_EQ(vsctl("add-port br0 p2 external_ids:container_ip=172.17.0.3/16 external_ids:publish=8080:81/udp"), "");
  // Per host address (docker run -p 127.0.0.1:9090:80): two addresses may share a port, an entry
  // on every address takes it on all of them.
  EXPECT_EQ(vsctl("add-port br0 p3 external_ids:container_ip=172.17.0.4/16 "
                  "external_ids:publish=127.0.0.1:9090:80,10.0.0.1:9090:80"),
            "");
  EXPECT_EQ(vsctl("add-port br0 p4 external_ids:container_ip=172.17.0.5/16 external_ids:publish=9090:80"),
            "ERROR: port p4: host port 9090/tcp is already published by port p3");
  EXPECT_EQ(vsctl("add-port br0 p4 external_ids:container_ip=172.17.0.5/16 "
                  "external_ids:publish=127.0.0.1:9090:81"),
            "ERROR: port p4: host port 127.0.0.1:9090/tcp is already published by port p3");
  EXPECT_EQ(vsctl("add-port br0 p4 external_ids:container_ip=172.17.0.5/16 "
                  "external_ids:publish=127.0.0.2:9090:81"),
            "");
  EXPECT_EQ(vsctl("add-port br0 p5 external_ids:container_ip=172.17.0.6/16 external_ids:publish=1.2.3:80:80"),
            "ERROR: port p5: external_ids:publish \"1.2.3:80:80\": host address \"1.2.3\" is not an IPv4 "
            "address");
}

TEST_F(CommandsTest, FailingCommandInChainLeavesStateUntouched) {
  vsctl("add-port br0 p1 tag=1");
  const Config before = service.config();
  EXPECT_EQ(vsctl("add-br br2 -- add-port br2 p2 -- set port p1 tag=2 -- fdb/add br0 p1 1 "
                  "00:00:00:00:00:01 -- del-port nosuch"),
            "ERROR: no port named nosuch");
  EXPECT_EQ(service.config(), before);
  // A chain whose commands pass but whose result does not validate changes nothing either.
  EXPECT_EQ(vsctl("set port p1 tag=7 -- set bridge br0 other_config:mac-aging-time=1"),
            "ERROR: bridge br0: other_config:mac-aging-time \"1\" is not in 15..3600");
  EXPECT_EQ(service.config(), before);
  EXPECT_EQ(vsctl("get port p1 tag"), "1\n");
}

TEST_F(CommandsTest, FdbCommands) {
  vsctl("add-port br0 p1 -- add-port br0 p2");
  EXPECT_EQ(vsctl("fdb/add br0 p1 10 00:11:22:33:44:55"), "");
  EXPECT_EQ(vsctl("fdb/add br0 p9 10 00:11:22:33:44:55"), "ERROR: fdb/add: bridge br0 does not have a port p9");
  EXPECT_EQ(vsctl("fdb/add br0 p1 10 01:00:5e:00:00:01"), "ERROR: fdb/add: 01:00:5e:00:00:01 is a multicast address");
  EXPECT_EQ(vsctl("fdb/add br0 p1 4096 00:11:22:33:44:55"), "ERROR: fdb/add: VLAN \"4096\" is not in 0..4095");
  EXPECT_EQ(vsctl("fdb/add br0 p1 1 00:11:22:33:44"), "ERROR: fdb/add: \"00:11:22:33:44\" is not a MAC address");
  ASSERT_EQ(service.config().bridges[0].static_macs.size(), 1u);
  runtime.fdb["br0"] = {{"p1", 10, "00:11:22:33:44:55", 0, true}, {"p2", 0, "52:54:00:00:00:02", 12, false}};
  EXPECT_EQ(vsctl("fdb/show br0"),
            " port             VLAN  MAC                Age\n"
            " p1                 10  00:11:22:33:44:55  static\n"
            " p2                  0  52:54:00:00:00:02  12\n");
  EXPECT_EQ(vsctl("--format json fdb/show br0"),
            "[{\"age\":0,\"mac\":\"00:11:22:33:44:55\",\"port\":\"p1\",\"static\":true,\"vlan\":10},"
            "{\"age\":12,\"mac\":\"52:54:00:00:00:02\",\"port\":\"p2\",\"static\":false,\"vlan\":0}]\n");
  EXPECT_EQ(vsctl("fdb/stats-show br0"),
            "Statistics for bridge \"br0\":\n"
            "  Current/maximum MAC entries in the table: 2/8192\n"
            "  Total number of learned MAC entries     : 7\n"
            "  Total number of expired MAC entries     : 0\n"
            "  Total number of evicted MAC entries     : 0\n"
            "  Total number of port moved MAC entries  : 0\n"
            "  Learning deferred (writer busy)         : 0\n");
  EXPECT_EQ(vsctl("fdb/flush"), "");
  EXPECT_EQ(runtime.flushed, std::vector<std::string>{"br0"});
  EXPECT_EQ(vsctl("fdb/del br0 10 00:11:22:33:44:55"), "");
  EXPECT_TRUE(service.config().bridges[0].static_macs.empty());
  EXPECT_EQ(vsctl("fdb/del br0 0 52:54:00:00:00:02"), "");  // learnt: deleted in the datapath
  EXPECT_EQ(vsctl("fdb/del br0 5 52:54:00:00:00:09"), "ERROR: fdb/del: no entry for 52:54:00:00:00:09 on VLAN 5");
  EXPECT_EQ(vsctl("fdb/show br9"), "ERROR: no bridge named br9");
}

TEST_F(CommandsTest, DelPortDropsItsStaticMacs) {
  vsctl("add-port br0 p1 -- fdb/add br0 p1 0 00:00:00:00:00:01");
  EXPECT_EQ(vsctl("del-port p1"), "");
  EXPECT_TRUE(service.config().bridges[0].static_macs.empty());
}

TEST_F(CommandsTest, InterfaceStatisticsAndPmdStats) {
  vsctl("add-port br0 p1 type=dpdk options:dpdk-devargs=net_null0");
  InterfaceState st;
  st.attached = true;
  st.status.mac = "02:00:00:00:00:01";
  sw::PortCounters counters;
  counters.rx_packets = 5;
  counters.rx_bytes = 320;
  counters.drops[static_cast<size_t>(sw::DropReason::kVlanNotAdmitted)] = 2;
  st.statistics = port_statistics(counters);
  runtime.states["p1"] = st;
  EXPECT_EQ(vsctl("get interface p1 statistics:rx_packets statistics:drop_vlan_not_admitted"), "5\n2\n");
  EXPECT_EQ(
      vsctl("list interface p1"),
      "admin_state            : up\n"
      "error                  : []\n"
      "external_ids           : {}\n"
      "ingress_policing_burst : 0\n"
      "ingress_policing_rate  : 0\n"
      "link_state             : up\n"
      "mac_in_use             : \"02:00:00:00:00:01\"\n"
      "mtu                    : 1500\n"
      "mtu_request            : []\n"
      "name                   : p1\n"
      "options                : {dpdk-devargs=net_null0}\n"
      "statistics             : {drop_arp_suppressed=0, drop_bpdu_overflow=0, drop_egress_shaped=0, drop_flood_overload=0, drop_hairpin=0, "
      "drop_ingress_policed=0, drop_malformed=0, drop_nd_suppressed=0, drop_no_buffer=0, drop_no_neighbour=0, "
      "drop_no_tunnel=0, "
      "drop_port_down=0, drop_protected=0, drop_reserved_multicast=0, drop_split_horizon=0, "
      "drop_storm_broadcast=0, drop_storm_multicast=0, drop_storm_unknown_unicast=0, "
      "drop_stp_discarding=0, drop_stp_learning=0, drop_too_big=0, drop_tunnel_malformed=0, drop_tx_full=0, drop_vlan_not_admitted=2, drops=2, "
      "rx_bytes=320, rx_packets=5, tx_bytes=0, tx_packets=0}\n"
      "type                   : dpdk\n");
  EXPECT_EQ(vsctl("dpif/pmd-stats-show"),
            "pmd thread 0 core_id any:\n"
            "  packets received: 100\n"
            "  avg cycles per packet: 50.00\n"
            "  idle cycles: 10000 (50.00%)\n"
            "  processing cycles: 5000 (25.00%)\n"
            "  sleep cycles: 5000 (25.00%)\n"
            "  wake-ups: 7\n"
            "  rx queues: br0/p1:0\n");
  EXPECT_EQ(
      vsctl("--format json dpif/pmd-stats-show"),
      "[{\"busy_cycles\":5000,\"busy_share\":0.25,\"core\":-1,\"cycles_per_packet\":50.0,"
      "\"idle_cycles\":10000,\"idle_share\":0.5,\"iterations\":0,\"packets\":100,\"pmd\":0,"
      "\"rx_queues\":[\"br0/p1:0\"],\"sleep_cycles\":5000,\"sleep_share\":0.25,\"wakeups\":7}]\n");
}

TEST_F(CommandsTest, OpenVswitchPmdSleepSetGetRemoveClear) {
  EXPECT_EQ(service.config().other_config, StringMap{});
  EXPECT_TRUE(service.config().pmd_sleep_adaptive());
  EXPECT_EQ(service.config().pmd_quiet_us(), kDefaultQuietUs);
  EXPECT_EQ(vsctl("set Open_vSwitch . other_config:pmd-sleep=off other_config:pmd-quiet-us=50"),
            "");
  EXPECT_FALSE(service.config().pmd_sleep_adaptive());
  EXPECT_EQ(service.config().pmd_quiet_us(), 50u);
  // The table name is case-insensitive, as in ovs-vsctl.
  EXPECT_EQ(vsctl("get open_vswitch . other_config:pmd-sleep other_config:pmd-quiet-us"),
            "off\n\"50\"\n");
  EXPECT_EQ(vsctl("get Open_vSwitch . other_config"), "{pmd-quiet-us=\"50\", pmd-sleep=off}\n");
  EXPECT_EQ(vsctl("list Open_vSwitch"),
            "bridges      : [br0]\n"
            "other_config : {pmd-quiet-us=\"50\", pmd-sleep=off}\n");
  EXPECT_EQ(vsctl("list open_vswitch ."), vsctl("list Open_vSwitch"));
  EXPECT_EQ(vsctl("set Open_vSwitch . other_config:pmd-sleep=adaptive"), "");
  EXPECT_TRUE(service.config().pmd_sleep_adaptive());
  EXPECT_EQ(vsctl("remove Open_vSwitch . other_config pmd-quiet-us"), "");
  EXPECT_EQ(service.config().pmd_quiet_us(), kDefaultQuietUs);
  EXPECT_EQ(vsctl("get Open_vSwitch . other_config:pmd-quiet-us"),
            "ERROR: no key \"pmd-quiet-us\" in Open_vSwitch record \".\" column other_config");
  EXPECT_EQ(vsctl("--if-exists get Open_vSwitch . other_config:pmd-quiet-us"), "");
  EXPECT_EQ(vsctl("clear Open_vSwitch . other_config"), "");
  EXPECT_EQ(service.config().other_config, StringMap{});
  EXPECT_EQ(vsctl("set Open_vSwitch . other_config={pmd-sleep=off,pmd-quiet-us=10}"), "");
  EXPECT_EQ(service.config().pmd_quiet_us(), 10u);
  EXPECT_FALSE(service.config().pmd_sleep_adaptive());
}

TEST_F(CommandsTest, OpenVswitchKernelTunnelsDefaultsToTheVxlanDevice) {
  EXPECT_TRUE(service.config().kernel_tunnels());
  EXPECT_EQ(vsctl("set Open_vSwitch . other_config:kernel-tunnels=false"), "");
  EXPECT_FALSE(service.config().kernel_tunnels());
  EXPECT_EQ(vsctl("set Open_vSwitch . other_config:kernel-tunnels=true"), "");
  EXPECT_TRUE(service.config().kernel_tunnels());
  EXPECT_EQ(vsctl("set Open_vSwitch . other_config:kernel-tunnels=1"),
            "ERROR: Open_vSwitch: other_config:kernel-tunnels \"1\" is not true or false");
  EXPECT_TRUE(service.config().kernel_tunnels());  // a refused change changes nothing
}

TEST_F(CommandsTest, OpenVswitchErrorsNameTheBadWord) {
  EXPECT_EQ(vsctl("set Open_vSwitch . other_config:pmd-sleep=sometimes"),
            "ERROR: Open_vSwitch: other_config:pmd-sleep \"sometimes\" is not off or adaptive");
  EXPECT_EQ(vsctl("set Open_vSwitch . other_config:pmd-quiet-us=9"),
            "ERROR: Open_vSwitch: other_config:pmd-quiet-us \"9\" is not in 10..1000000");
  EXPECT_EQ(vsctl("set Open_vSwitch . other_config:pmd-quiet-us=1000001"),
            "ERROR: Open_vSwitch: other_config:pmd-quiet-us \"1000001\" is not in 10..1000000");
  EXPECT_EQ(vsctl("set Open_vSwitch . other_config:pmd-quiet-us=abc"),
            "ERROR: Open_vSwitch: other_config:pmd-quiet-us \"abc\" is not in 10..1000000");
  EXPECT_EQ(
      vsctl("set Open_vSwitch . other_config:pmd-nap=1"),
      "ERROR: Open_vSwitch: unknown other_config key \"pmd-nap\" (known: pmd-sleep, pmd-quiet-us, "
      "kernel-offload, kernel-tunnels, big-tcp, cluster-*)");
  EXPECT_EQ(vsctl("set Open_vSwitch . other_config:kernel-tunnels=maybe"),
            "ERROR: Open_vSwitch: other_config:kernel-tunnels \"maybe\" is not true or false");
  EXPECT_EQ(vsctl("set Open_vSwitch . other_config:big-tcp=maybe"),
            "ERROR: Open_vSwitch: other_config:big-tcp \"maybe\" is not true or false");
  EXPECT_EQ(vsctl("set Open_vSwitch br0 other_config:pmd-sleep=off"),
            "ERROR: no row \"br0\" in table Open_vSwitch (its one record is \".\")");
  EXPECT_EQ(vsctl("list Open_vSwitch x"),
            "ERROR: no row \"x\" in table Open_vSwitch (its one record is \".\")");
  EXPECT_EQ(vsctl("set Open_vSwitch . external_ids:a=b"),
            "ERROR: Open_vSwitch has no column \"external_ids\"");
  EXPECT_EQ(vsctl("set Open_vSwitch . bridges=br0"),
            "ERROR: column bridges of Open_vSwitch is read-only");
  EXPECT_EQ(service.config().other_config, StringMap{});
}

TEST_F(CommandsTest, FailingCommandInChainLeavesPmdSleepUnchanged) {
  vsctl("set Open_vSwitch . other_config:pmd-quiet-us=500");
  const Config before = service.config();
  EXPECT_EQ(vsctl("set Open_vSwitch . other_config:pmd-sleep=off -- del-port nosuch"),
            "ERROR: no port named nosuch");
  EXPECT_EQ(service.config(), before);
  EXPECT_EQ(vsctl("set Open_vSwitch . other_config:pmd-sleep=off -- set Open_vSwitch . "
                  "other_config:pmd-quiet-us=0"),
            "ERROR: Open_vSwitch: other_config:pmd-quiet-us \"0\" is not in 10..1000000");
  EXPECT_EQ(service.config(), before);
  EXPECT_TRUE(service.config().pmd_sleep_adaptive());
}

TEST_F(CommandsTest, GlobalOptionsParse) {
  auto a = parse_vsctl_args({"--socket=/tmp/x.sock", "-t", "5", "--format", "json", "--may-exist",
                             "add-br", "b", "--", "--if-exists", "del-br", "c"});
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->socket, "/tmp/x.sock");
  EXPECT_EQ(a->timeout_s, 5);
  EXPECT_EQ(a->format, Format::kJson);
  ASSERT_EQ(a->commands.size(), 2u);
  EXPECT_EQ(a->commands[0].options, std::vector<std::string>{"--may-exist"});
  EXPECT_EQ(a->commands[1].name, "del-br");
  EXPECT_EQ(parse_vsctl_args({"--format=xml", "show"}).error().message, "--format: \"xml\" is not table or json");
  EXPECT_EQ(parse_vsctl_args({}).error().message, "missing command name (use --help for help)");
  EXPECT_TRUE(parse_vsctl_args({"--help"})->help);
}

// --help, --commands (completion) and the parser all read the one command table.
TEST_F(CommandsTest, HelpAndCompletionListEveryCommandOfTheTable) {
  const std::string help = vsctl_help();
  EXPECT_TRUE(parse_vsctl_args({"--commands"})->list_commands);
  std::vector<std::string> names;
  for (const CommandSpec& spec : command_table()) {
    names.emplace_back(spec.name);
    EXPECT_NE(help.find("\n  " + std::string(spec.name) + (spec.usage.empty() ? "" : " ")),
              std::string::npos)
        << spec.name;
    EXPECT_NE(spec.handler, nullptr) << spec.name;
    Words words{std::string(spec.name)};
    for (size_t i = 0; i < spec.min_args; ++i) words.push_back("x");
    EXPECT_TRUE(parse_command(words)) << spec.name;
    if (spec.max_args != kAnyNumber) {
      words.resize(spec.max_args + 2, "x");
      EXPECT_FALSE(parse_command(words)) << spec.name;
    }
  }
  EXPECT_EQ(command_names(), names);
  EXPECT_EQ(names.size(), 35u);
}

TEST_F(CommandsTest, ServiceRejectsBadRequests) {
  EXPECT_EQ(service.handle({{"id", 3}, {"method", "explode"}})["error"]["code"], "unknown_method");
  EXPECT_EQ(service.handle({{"id", 3}, {"method", "explode"}})["error"]["message"], "unknown method \"explode\"");
  EXPECT_EQ(service.handle(nlohmann::json::array())["error"]["code"], "bad_request");
  EXPECT_EQ(service.handle({{"method", "transact"}, {"params", {{"commands", {{1, 2}}}}}})["error"]["code"],
            "bad_request");
  EXPECT_EQ(service.handle({{"method", "transact"}})["error"]["message"],
            "params.commands: expected an array of commands");
  EXPECT_EQ(service.handle({{"id", 9}, {"method", "version"}})["result"]["version"], kVersion);
}

TEST_F(CommandsTest, ProtectedPortIsSetStoredShownAndCleared) {
  EXPECT_EQ(vsctl("add-port br0 p1 protected=true"), "");
  EXPECT_EQ(vsctl("add-port br0 p2"), "");
  EXPECT_TRUE(service.config().bridges[0].find_port("p1")->protected_port);
  EXPECT_FALSE(service.config().bridges[0].find_port("p2")->protected_port);
  EXPECT_EQ(vsctl("get port p1 protected"), "true\n");
  EXPECT_EQ(vsctl("get port p2 protected"), "false\n");
  EXPECT_NE(vsctl("list port p1").find("protected    : true"), std::string::npos)
      << vsctl("list port p1");
  EXPECT_NE(vsctl("show").find("        Port p1\n            protected: true\n"), std::string::npos);
  // Stored in the database document, read back the same; absent when false.
  const auto doc = to_json(service.config());
  EXPECT_EQ(doc["bridges"][0]["ports"][1]["protected"], true);
  EXPECT_FALSE(doc["bridges"][0]["ports"][2].contains("protected"));
  auto back = config_from_json(doc);
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(*back, service.config());
  auto bad = doc;
  bad["bridges"][0]["ports"][1]["protected"] = "yes";
  EXPECT_EQ(config_from_json(bad).error().message,
            "bridges[0].ports[1].protected: expected true or false");
  // Bad values are refused naming the word; nothing changes.
  EXPECT_EQ(vsctl("set port p1 protected=yes"), "ERROR: protected: \"yes\" is not true or false");
  EXPECT_TRUE(service.config().bridges[0].find_port("p1")->protected_port);
  EXPECT_EQ(vsctl("set port p1 protected=false -- set port p2 protected=true"), "");
  EXPECT_FALSE(service.config().bridges[0].find_port("p1")->protected_port);
  EXPECT_TRUE(service.config().bridges[0].find_port("p2")->protected_port);
  EXPECT_EQ(vsctl("clear port p2 protected"), "");
  EXPECT_FALSE(service.config().bridges[0].find_port("p2")->protected_port);
}

TEST_F(CommandsTest, AccessPortOfVlanZeroIsValidVid4095IsReserved) {
  EXPECT_EQ(vsctl("add-port br0 c1 vlan_mode=access tag=0"), "");
  EXPECT_EQ(vsctl("get port c1 vlan_mode tag"), "access\n0\n");
  EXPECT_EQ(vsctl("set port c1 tag=4095"), "ERROR: port c1: tag 4095 is reserved (802.1Q): use 0..4094");
  EXPECT_EQ(vsctl("add-port br0 t1 trunks=10,4095"),
            "ERROR: port t1: trunks value 4095 is reserved (802.1Q): use 0..4094");
  EXPECT_EQ(vsctl("get port c1 tag"), "0\n");
}

}  // namespace
}  // namespace lvs::ctl
