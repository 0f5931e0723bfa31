// The cluster store's parsers (label "unit": no etcd): store URLs, base64, the key schema and
// the gateway's watch replies.
#include <gtest/gtest.h>

#include "ctl/cluster/base64.hpp"
#include "ctl/cluster/cluster_view.hpp"
#include "ctl/cluster/etcd_client.hpp"
#include "ctl/cluster/key_schema.hpp"
#include "ctl/cluster/store_url.hpp"
#include "ctl/cluster/subnet_claim.hpp"

namespace lvs::ctl::cluster {
namespace {

std::vector<std::string> urls(std::string_view url) {
  auto r = parse_store_url(url);
  EXPECT_EQ(r.index(), 0u) << std::get<1>(r);
  return r.index() == 0 ? std::get<0>(r) : std::vector<std::string>{};
}

std::string url_error(std::string_view url) {
  auto r = parse_store_url(url);
  EXPECT_EQ(r.index(), 1u) << url;
  return r.index() == 1 ? std::get<1>(r) : "";
}

TEST(StoreUrl, ParsesOneOrMoreEndpointsIpv6InBrackets) {
  EXPECT_EQ(urls("etcd://10.0.0.1:2379"), std::vector<std::string>{"10.0.0.1:2379"});
  EXPECT_EQ(urls("etcd://a.example:2379,[fd00::1]:2379,b:1"),
            (std::vector<std::string>{"a.example:2379", "[fd00::1]:2379", "b:1"}));
}

TEST(StoreUrl, ErrorsNameWhatIsWrong) {
  EXPECT_NE(url_error("http://10.0.0.1:2379").find("only etcd://"), std::string::npos);
  EXPECT_NE(url_error("etcd://").find("no endpoint"), std::string::npos);
  EXPECT_NE(url_error("etcd://10.0.0.1").find("'10.0.0.1': no port"), std::string::npos);
  EXPECT_NE(url_error("etcd://10.0.0.1:0").find("port '0' is not a number in 1..65535"),
            std::string::npos);
  EXPECT_NE(url_error("etcd://10.0.0.1:99999").find("port '99999'"), std::string::npos);
  EXPECT_NE(url_error("etcd://10.0.0.1:2379,").find("empty endpoint"), std::string::npos);
  EXPECT_NE(url_error("etcd://fd00::1:2379").find("in brackets"), std::string::npos);
  EXPECT_NE(url_error("etcd://[fd00::zz]:2379").find("not an IPv6 address"), std::string::npos);
  EXPECT_NE(url_error("etcd://[fd00::1]2379").find("no port"), std::string::npos);
  EXPECT_NE(url_error("etcd://h:2379/v3").find("no path"), std::string::npos);
  EXPECT_NE(url_error("etcd://a b:2379").find("not a host name"), std::string::npos);
}

TEST(StoreUrl, SplitsHostAndPort) {
  EXPECT_EQ(split_host_port("[fd00::1]:2379").host, "fd00::1");
  EXPECT_EQ(split_host_port("[fd00::1]:2379").port, 2379);
  EXPECT_EQ(split_host_port("10.0.0.1:23").host, "10.0.0.1");
}

TEST(Base64, RoundTripsAndRejectsGarbage) {
  for (const std::string& s : std::vector<std::string>{"", "f", "fo", "foo", "foob", "fooba",
                                                       "foobar", std::string("\0\xff", 2)})
    EXPECT_EQ(base64_decode(base64_encode(s)), s);
  EXPECT_EQ(base64_encode("foobar"), "Zm9vYmFy");
  EXPECT_EQ(base64_encode("fo"), "Zm8=");
  EXPECT_FALSE(base64_decode("Zm9"));
  EXPECT_FALSE(base64_decode("Zm9*"));
  EXPECT_FALSE(base64_decode("Z=9v"));
}

TEST(KeySchema, KeysRoundTrip) {
  const std::string p = "/lite-vswitch/";
  EXPECT_EQ(host_key(p, "10.0.0.1"), "/lite-vswitch/hosts/10.0.0.1");
  EXPECT_EQ(subnet_key(p, "10.200.3.0/24"), "/lite-vswitch/subnets/10.200.3.0-24");
  EXPECT_EQ(prefix_end(p), "/lite-vswitch0");
  KeyName k = parse_key(p, endpoint_key(p, 100, "aa:bb:cc:dd:ee:ff"));
  EXPECT_EQ(k.kind, KeyName::Kind::kEndpoint);
  EXPECT_EQ(k.vni, 100u);
  EXPECT_EQ(k.mac, "aa:bb:cc:dd:ee:ff");
  k = parse_key(p, "/lite-vswitch/subnets/10.200.3.0-24");
  EXPECT_EQ(k.kind, KeyName::Kind::kSubnet);
  EXPECT_EQ(k.id, "10.200.3.0/24");
  EXPECT_EQ(parse_key(p, "/lite-vswitch/endpoints/x/aa").kind, KeyName::Kind::kOther);
  EXPECT_EQ(parse_key(p, "/other/hosts/a").kind, KeyName::Kind::kOther);
}

TEST(KeySchema, ValuesRoundTripAndBadOnesAreNamed) {
  Member m;
  m.underlay_ip = "fd00::1";
  m.vtep_mac = "02:00:00:00:00:01";
  m.vnis = {100, 200};
  m.subnet = "10.200.3.0/24";
  auto back = parse_member("h1", member_value(m));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->id, "h1");
  EXPECT_EQ(back->vnis, m.vnis);
  EXPECT_EQ(back->subnet, m.subnet);
  auto e =
      parse_endpoint(100, "aa:00:00:00:00:01", endpoint_value({100, "", "10.200.3.5", "", "h1"}));
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->ip, "10.200.3.5");
  EXPECT_EQ(e->host, "h1");
  auto bad = parse_member("h2", R"({"underlay_ip":"10.0.0.2","vnis":[100,99999999]})");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("host 'h2': vni 99999999"), std::string::npos);
  EXPECT_FALSE(parse_endpoint(1, "aa", "not json").ok());
  EXPECT_EQ(parse_subnet_holder(subnet_value("h1")), "h1");
}

TEST(EtcdGateway, ParsesWatchRepliesWithEventsAndCompaction) {
  const std::string key = base64_encode("/lite-vswitch/hosts/h1");
  auto w = parse_watch_reply(
      R"({"result":{"header":{"revision":"7"},"events":[{"kv":{"key":")" + key +
      R"(","value":"e30=","mod_revision":"7","lease":"42"}},{"type":"DELETE","kv":{"key":")" + key +
      R"(","mod_revision":"8"}}]}})");
  ASSERT_TRUE(w.ok());
  EXPECT_EQ(w->revision, 7);
  ASSERT_EQ(w->events.size(), 2u);
  EXPECT_FALSE(w->events[0].deleted);
  EXPECT_EQ(w->events[0].kv.key, "/lite-vswitch/hosts/h1");
  EXPECT_EQ(w->events[0].kv.value, "{}");
  EXPECT_EQ(w->events[0].kv.lease, 42);
  EXPECT_TRUE(w->events[1].deleted);
  auto c = parse_watch_reply(R"({"result":{"header":{},"canceled":true,"compact_revision":"3"}})");
  ASSERT_TRUE(c.ok());
  EXPECT_TRUE(c->canceled);
  EXPECT_EQ(c->compact_revision, 3);
  EXPECT_FALSE(parse_watch_reply(R"({"error":{"message":"boom"}})").ok());
}

TEST(SubnetRequest, BadCidrsAndLengthsAreNamed) {
  SubnetRequest r{"/p/", "h1", "10.200.0.0/16", 24, "", false};
  EXPECT_FALSE(check_subnet_request(r));
  r.cluster_cidr = "10.200.0.0";
  EXPECT_NE(check_subnet_request(r)->message.find("not an IPv4 ADDRESS/PREFIX"), std::string::npos);
  r.cluster_cidr = "10.200.0.0/16";
  r.host_prefix_len = 31;
  EXPECT_NE(check_subnet_request(r)->message.find("at most /30"), std::string::npos);
  r.cluster_cidr = "10.0.0.0/8";
  r.host_prefix_len = 30;
  EXPECT_NE(check_subnet_request(r)->message.find("more than 65536"), std::string::npos);
}

}  // namespace
}  // namespace lvs::ctl::cluster
