// Who may use the control socket: the policy, and the credentials read from a real socket pair.
#include "ctl/peer_credentials.hpp"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

namespace lvs::ctl {
namespace {

TEST(PeerCredentials, RootAndTheOwnerAreAlwaysAllowed) {
  const AccessPolicy policy{1000, std::nullopt};
  EXPECT_TRUE(peer_allowed(policy, {1, 0, 0, {}}));
  EXPECT_TRUE(peer_allowed(policy, {1, 1000, 1000, {}}));
  EXPECT_FALSE(peer_allowed(policy, {1, 1001, 1000, {1000}}));
}

TEST(PeerCredentials, GroupMembersByPrimaryOrSupplementaryGroup) {
  const AccessPolicy policy{0, gid_t{4242}};
  EXPECT_TRUE(peer_allowed(policy, {1, 1001, 4242, {}}));
  EXPECT_TRUE(peer_allowed(policy, {1, 1001, 100, {27, 4242}}));
  EXPECT_FALSE(peer_allowed(policy, {1, 1001, 100, {27, 4243}}));
  const std::string why = describe_refusal(policy, {77, 1001, 100, {27}});
  EXPECT_EQ(
      why,
      "permission denied: uid 1001 (gid 100, pid 77) is not root, not uid 0 and not in group 4242");
}

TEST(PeerCredentials, ReadFromASocketPairAreOurOwn) {
  int fds[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
  auto peer = read_peer_credentials(fds[0]);
  ASSERT_TRUE(peer) << peer.error().message;
  EXPECT_EQ(peer->pid, ::getpid());
  EXPECT_EQ(peer->uid, ::geteuid());
  EXPECT_EQ(peer->gid, ::getegid());
  std::vector<gid_t> mine(static_cast<size_t>(::getgroups(0, nullptr)));
  mine.resize(static_cast<size_t>(::getgroups(static_cast<int>(mine.size()), mine.data())));
  EXPECT_EQ(peer->groups, mine);
  ::close(fds[0]);
  ::close(fds[1]);
}

TEST(PeerCredentials, GroupsResolveByNameOrNumberAndUnknownNamesAreErrors) {
  auto root = resolve_group("root");
  ASSERT_TRUE(root) << root.error().message;
  EXPECT_EQ(*root, 0u);
  auto n = resolve_group("4242");
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, 4242u);
  auto bad = resolve_group("no-such-group-xyz");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message, "--socket-group: no group named \"no-such-group-xyz\"");
}

}  // namespace
}  // namespace lvs::ctl
