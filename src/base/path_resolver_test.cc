// PathResolver gives ResolvePath's answers (checked on every path of a tree of directories,
// files, relative and absolute symlinks, chains, dangling links and missing tails), and its
// memo makes the second and later paths below a directory cost one lstat.
#include "base/path_resolver.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "base/paths.h"

namespace cordon {
namespace {

class PathResolverTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/cordon-resolver-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    root_ = tmpl;
  }
  void TearDown() override { ASSERT_EQ(std::system(("rm -rf '" + root_ + "'").c_str()), 0); }
  void Dir(const std::string& rel) { ASSERT_EQ(::mkdir((root_ + "/" + rel).c_str(), 0755), 0); }
  void Link(const std::string& target, const std::string& rel) {
    ASSERT_EQ(::symlink(target.c_str(), (root_ + "/" + rel).c_str()), 0);
  }
  std::string root_;
};

TEST_F(PathResolverTest, GivesResolvePathsAnswerForEveryShape) {
  Dir("a");
  Dir("a/b");
  Dir("elsewhere");
  Dir("elsewhere/inner");
  ASSERT_EQ(::close(::creat((root_ + "/a/file").c_str(), 0644)), 0);
  Link("b", "a/rel");                    // relative, same directory
  Link(root_ + "/elsewhere", "a/abs");   // absolute
  Link("../a/abs/inner", "a/b/chain");   // through another link
  Link("missing-target", "a/dangling");  // dangles
  Link(root_ + "/a/loop2", "a/loop1");   // a loop
  Link(root_ + "/a/loop1", "a/loop2");
  const std::vector<std::string> rels = {
      "",
      "a",
      "a/b",
      "a/file",
      "a/rel",
      "a/rel/x",
      "a/abs",
      "a/abs/inner",
      "a/abs/inner/new/deep",
      "a/b/chain",
      "a/b/chain/x",
      "a/dangling",
      "a/dangling/x",
      "a/missing",
      "a/missing/x/y",
      "a/file/below-a-file",
      "a/./b/../rel",
      "elsewhere",
      "a/loop1",
      "a/loop1/x",
  };
  PathResolver resolver;
  for (int pass = 0; pass < 2; ++pass) {  // the second pass answers from the memo
    for (const std::string& rel : rels) {
      const std::string path = root_ + "/" + rel;
      auto expected = ResolvePath(path);
      auto got = resolver.Resolve(path);
      ASSERT_EQ(got.ok(), expected.ok()) << path;
      if (expected.ok()) {
        EXPECT_EQ(*got, *expected) << path << " (pass " << pass << ")";
      }
    }
  }
  EXPECT_EQ(*resolver.Resolve(root_ + "/a/abs/inner"), root_ + "/elsewhere/inner");
  EXPECT_EQ(*resolver.Resolve(root_ + "/a/missing/x/y"), root_ + "/a/missing/x/y");
}

TEST_F(PathResolverTest, AnswersFromTheFilesystemAsFirstSeen) {
  Dir("d");
  PathResolver resolver;
  EXPECT_EQ(*resolver.Resolve(root_ + "/d/x"), root_ + "/d/x");
  // A link made afterwards is not seen by this resolver (one resolver per pass), but by a new one.
  Dir("target");
  Link(root_ + "/target", "d/x");
  EXPECT_EQ(*resolver.Resolve(root_ + "/d/x"), root_ + "/d/x");
  EXPECT_EQ(*PathResolver().Resolve(root_ + "/d/x"), root_ + "/target");
}

}  // namespace
}  // namespace cordon
