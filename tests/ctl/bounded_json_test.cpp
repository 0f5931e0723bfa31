// JSON from untrusted peers: the depth limit, and that it costs ordinary documents nothing.
#include "ctl/bounded_json.hpp"

#include <gtest/gtest.h>

namespace lvs::ctl {
namespace {

std::string nested(size_t depth, char open = '[', char close = ']') {
  return std::string(depth, open) + std::string(depth, close);
}

TEST(BoundedJsonTest, OrdinaryDocumentsParseAsNlohmannWould) {
  const std::string text =
      R"({"id":7,"method":"transact","params":{"commands":[["add-br","br1"],["--may-exist",)"
      R"("add-port","br1","p1","tag=10"]]},"x":[1.5,-2,true,null,"\u00e9\n"]})";
  auto j = parse_bounded_json(text);
  ASSERT_TRUE(j.ok()) << j.error().message;
  EXPECT_EQ(*j, nlohmann::json::parse(text));
}

TEST(BoundedJsonTest, DepthUpToTheLimitIsAcceptedOneMoreIsRefused) {
  EXPECT_TRUE(parse_bounded_json(nested(64)).ok());
  auto deeper = parse_bounded_json(nested(65));
  ASSERT_FALSE(deeper.ok());
  EXPECT_EQ(deeper.error().code, kErrBadRequest);
  EXPECT_EQ(deeper.error().message, "JSON nested deeper than 64 levels (at byte 64)");
  // Objects count as arrays do; brackets inside strings do not count.
  std::string objects;
  for (int i = 0; i < 65; ++i) objects += R"({"a":)";
  objects += "1" + std::string(65, '}');
  EXPECT_FALSE(parse_bounded_json(objects).ok());
  EXPECT_TRUE(parse_bounded_json(
                  R"(["[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["])")
                  .ok());
  EXPECT_TRUE(parse_bounded_json(nested(3), 3).ok());
  EXPECT_FALSE(parse_bounded_json(nested(4), 3).ok());
}

TEST(BoundedJsonTest, AMillionLevelsAreRefusedWithoutRecursing) {
  // 1,000,000 levels (the object around them is the first level): would overflow the stack in any
  // recursive copy, compare or dump.
  const std::string text = R"({"id":)" + nested(1'000'000) + R"(,"method":"ping"})";
  auto j = parse_bounded_json(text);
  ASSERT_FALSE(j.ok());
  EXPECT_EQ(j.error().message, "JSON nested deeper than 64 levels (at byte 69)");
  auto unclosed = parse_bounded_json(std::string(1'000'000, '{'));
  ASSERT_FALSE(unclosed.ok());
}

TEST(BoundedJsonTest, SyntaxErrorsSayWhere) {
  auto j = parse_bounded_json("{not json");
  ASSERT_FALSE(j.ok());
  EXPECT_EQ(j.error().code, kErrBadRequest);
  EXPECT_EQ(j.error().message.rfind("parse error at line 1, column 3", 0), 0u) << j.error().message;
  EXPECT_FALSE(parse_bounded_json("").ok());
  EXPECT_FALSE(parse_bounded_json("[1] [2]").ok());   // one document only
  EXPECT_FALSE(parse_bounded_json("\"\xff\"").ok());  // not UTF-8
}

}  // namespace
}  // namespace lvs::ctl
