#include "policy/home/path_pattern.h"

#include <gtest/gtest.h>

namespace cordon {
namespace {

TEST(PathPattern, ReachesComponentWise) {
  EXPECT_TRUE(PatternReaches("/home/a/.cm-*", "/home/a/.cm-abc"));
  EXPECT_TRUE(PatternReaches("/home/a/*/id", "/home/a/keys"));
  EXPECT_TRUE(PatternReaches("/home/a/*/id", "/home/a/keys/id"));
  EXPECT_TRUE(PatternReaches("/home/a/*", "/home/a/.hidden"));  // '*' matches a leading '.'
  EXPECT_FALSE(PatternReaches("/home/a/.cm-*", "/home/a/projects"));
  EXPECT_FALSE(PatternReaches("/home/a/*", "/home/a/x/y"));  // the pattern stops above
  EXPECT_FALSE(PatternReaches("/home/a/we\\*ird", "/home/a/weXird"));
  EXPECT_TRUE(PatternReaches("/home/a/we\\*ird", "/home/a/we*ird"));
}

TEST(PathPattern, TouchesAlsoBelowAMatch) {
  EXPECT_TRUE(PatternTouches("/tmp/ssh-*", "/tmp/ssh-abc/x"));
  EXPECT_TRUE(PatternTouches("/tmp/ssh-*", "/tmp"));
  EXPECT_FALSE(PatternTouches("/tmp/ssh-*", "/tmp/other"));
  EXPECT_FALSE(PatternTouches("/tmp/ssh-*", "/var"));
}

}  // namespace
}  // namespace cordon
