#include "base/paths.h"

#include <gtest/gtest.h>

namespace cordon {
namespace {

TEST(NormalizePath, CollapsesDotsAndSlashes) {
  EXPECT_EQ(NormalizePath("/a/./b/../c/"), "/a/c");
  EXPECT_EQ(NormalizePath("//a//b"), "/a/b");
  EXPECT_EQ(NormalizePath("/.."), "/");
  EXPECT_EQ(NormalizePath("/"), "/");
}

TEST(PathIsUnder, RespectsComponentBoundaries) {
  EXPECT_TRUE(PathIsUnder("/a/b", "/a"));
  EXPECT_TRUE(PathIsUnder("/a", "/a"));
  EXPECT_FALSE(PathIsUnder("/ab", "/a"));
  EXPECT_TRUE(PathIsUnder("/anything", "/"));
}

TEST(ResolvePath, ResolvesExistingPrefixAndKeepsMissingTail) {
  auto r = ResolvePath("/proc/self/../self/does/not/exist");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.value().substr(0, 6), "/proc/");
  EXPECT_EQ(r.value().substr(r.value().size() - 15), "/does/not/exist");
}

}  // namespace
}  // namespace cordon
