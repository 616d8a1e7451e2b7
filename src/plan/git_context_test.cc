#include "plan/git_context.h"

#include <unistd.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace cordon {
namespace {

namespace fs = std::filesystem;

TEST(GitContext, ReadsGitFilesAndCommonDir) {
  char tmpl[] = "/tmp/cordon-git-XXXXXX";
  const std::string root = fs::canonical(::mkdtemp(tmpl)).string();
  fs::create_directories(root + "/main/.git/worktrees/wt");
  fs::create_directories(root + "/wt/sub");
  std::ofstream(root + "/wt/.git") << "gitdir: ../main/.git/worktrees/wt\n";
  std::ofstream(root + "/main/.git/worktrees/wt/commondir") << "../..\n";
  EXPECT_EQ(ReadGitFile(root + "/wt/.git"), root + "/main/.git/worktrees/wt");
  EXPECT_EQ(ReadCommonDir(root + "/main/.git/worktrees/wt"), root + "/main/.git");
  EXPECT_EQ(FindWorktreeRoot(root + "/wt/sub"), root + "/wt");
  EXPECT_EQ(FindWorktreeRoot(root + "/main/.git/worktrees"), root + "/main");
  std::ofstream(root + "/bad") << "not a gitfile\n";
  EXPECT_FALSE(ReadGitFile(root + "/bad").has_value());
  fs::remove_all(root);
}

TEST(GitContext, SafeDirectoryIsAppendedAfterTheCallersEntries) {
  auto env = SafeDirectoryEnv({"GIT_CONFIG_COUNT=2", "GIT_CONFIG_KEY_0=a.b"}, "/w");
  const std::vector<std::pair<std::string, std::string>> want = {
      {"GIT_CONFIG_KEY_2", "safe.directory"}, {"GIT_CONFIG_VALUE_2", "/w"}, {"GIT_CONFIG_COUNT", "3"}};
  EXPECT_EQ(env, want);
  EXPECT_EQ(SafeDirectoryEnv({}, "/w")[0].first, "GIT_CONFIG_KEY_0");
  EXPECT_EQ(SafeDirectoryEnv({"GIT_CONFIG_COUNT=junk"}, "/w")[2].second, "1");
}

TEST(GitContext, OwnershipLooksForeignOnlyWhenTheMappingChangesIt) {
  EXPECT_FALSE(OwnershipLooksForeignInside(1000, 1000, 1000, 1000, 1));   // identity: fine
  EXPECT_FALSE(OwnershipLooksForeignInside(0, 0, 0, 0, 4294967295ULL));  // root identity
  EXPECT_TRUE(OwnershipLooksForeignInside(1000, 1000, 0, 1000, 1) == false);  // mapped to 0 with uid
  EXPECT_TRUE(OwnershipLooksForeignInside(1000, 1000, 0, 2000, 1));      // owner unmapped
  EXPECT_FALSE(OwnershipLooksForeignInside(1001, 1000, 1000, 1000, 1));  // foreign outside too
}

}  // namespace
}  // namespace cordon
