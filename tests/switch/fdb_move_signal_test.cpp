// The FDB's move signal (switch/fdb_move_signal.hpp): raised by a learn that moves a station,
// not by a new station nor a refresh; one eventfd write until taken.
#include "switch/fdb_move_signal.hpp"

#include <poll.h>

#include <gtest/gtest.h>

#include "switch/fdb.hpp"

namespace lvs::sw {
namespace {

bool readable(int fd) {
  pollfd p{fd, POLLIN, 0};
  return ::poll(&p, 1, 0) == 1;
}

TEST(FdbMoveSignal, RaisedByAMoveOnlyAndOnceUntilTaken) {
  FdbMoveSignal signal;
  ASSERT_GE(signal.fd(), 0);
  Fdb fdb;
  fdb.set_move_signal(&signal);
  const uint64_t a = Fdb::make_key(0x020000000001, 10), b = Fdb::make_key(0x020000000002, 10);
  fdb.learn(a, 1, 1000);
  fdb.learn(b, 2, 1000);
  fdb.learn(a, 1, 1001);  // refresh
  EXPECT_FALSE(readable(signal.fd()));
  EXPECT_FALSE(signal.take());
  fdb.learn(a, 3, 1002);  // a moves to port 3
  EXPECT_EQ(fdb.lookup(a, 1002), 3);
  EXPECT_TRUE(readable(signal.fd()));
  fdb.learn(b, 3, 1003);  // another move before the control thread looked
  EXPECT_TRUE(signal.take());
  EXPECT_FALSE(readable(signal.fd()));
  EXPECT_FALSE(signal.take());
  fdb.learn(b, 3, 1004);  // same port again: no move
  fdb.set_move_signal(nullptr);
  fdb.learn(b, 4, 1005);
  EXPECT_FALSE(signal.take());
}

}  // namespace
}  // namespace lvs::sw
