// Deny-glob expansion over trees built in temporary directories.
#include "policy/home/deny_glob.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include "policy/home/home_test_util.h"

namespace cordon {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using testing_home::MakeDir;
using testing_home::Symlink;
using testing_home::TempDir;
using testing_home::WriteFile;

class DenyGlob : public ::testing::Test {
 protected:
  std::string P(const std::string& rel) const { return root_ / rel; }

  GlobExpansion Expand(const std::vector<std::string>& patterns, int depth = 16) {
    Result<GlobExpansion> r = ExpandDenyGlobs(root_.path(), patterns, depth);
    EXPECT_TRUE(r.ok()) << (r ? "" : r.error().ToString());
    return r ? *r : GlobExpansion{};
  }

  static std::vector<std::string> Paths(const GlobExpansion& e) {
    std::vector<std::string> out;
    for (const GlobMatch& m : e.matches) out.push_back(m.path);
    return out;
  }

  TempDir root_;
};

TEST_F(DenyGlob, StarStarMatchesAtEveryDepthIncludingTheTop) {
  WriteFile(P(".env"));
  WriteFile(P("app/prod.env"));
  WriteFile(P("app/deep/er/x.env"));
  WriteFile(P("app/env.txt"));
  WriteFile(P("app/.envrc"));
  GlobExpansion e = Expand({"**/*.env"});
  EXPECT_THAT(Paths(e), ElementsAre(P(".env"), P("app/deep/er/x.env"), P("app/prod.env")));
  for (const GlobMatch& m : e.matches) {
    EXPECT_EQ(m.kind, GlobEntryKind::kFile);
    EXPECT_THAT(m.patterns, ElementsAre(0u));
  }
  EXPECT_FALSE(e.depth_cap_hit);
  EXPECT_THAT(e.unreadable, IsEmpty());
}

TEST_F(DenyGlob, SecretsDirectoryIsReturnedOnceAndNotDescended) {
  WriteFile(P("secrets/a.key"));
  WriteFile(P("svc/secrets/b.key"));
  WriteFile(P("svc/secrets/nested/secrets/c.key"));  // inside an already matched directory
  WriteFile(P("svc/not-secrets/d.key"));
  WriteFile(P("svc/secrets.txt"));
  GlobExpansion e = Expand({"**/secrets/**"});
  EXPECT_THAT(Paths(e), ElementsAre(P("secrets"), P("svc/secrets")));
  for (const GlobMatch& m : e.matches) EXPECT_EQ(m.kind, GlobEntryKind::kDirectory);
}

TEST_F(DenyGlob, AnchoredPatternsOnlyLookWhereTheyCan) {
  WriteFile(P("config/server.pem"));
  WriteFile(P("config/sub/other.pem"));
  WriteFile(P("other/config/x.pem"));
  WriteFile(P("top.pem"));
  MakeDir(P("big/a/b/c"));
  GlobExpansion e = Expand({"config/*.pem"});
  EXPECT_THAT(Paths(e), ElementsAre(P("config/server.pem")));
  // Only the root and config/ are read: nothing else can match.
  EXPECT_EQ(e.directories_read, 2u);
}

TEST_F(DenyGlob, TiesBetweenPatternsGiveOneMatchWithEveryPatternIndex) {
  WriteFile(P("secrets/.env"));
  WriteFile(P("a/.env"));
  GlobExpansion e = Expand({"**/*.env", "**/secrets/**", "a/.env", "**/.env"});
  ASSERT_THAT(Paths(e), ElementsAre(P("a/.env"), P("secrets")));
  EXPECT_THAT(e.matches[0].patterns, ElementsAre(0u, 2u, 3u));
  EXPECT_THAT(e.matches[1].patterns, ElementsAre(1u));
}

TEST_F(DenyGlob, GlobClassesQuestionMarksAndDirOnly) {
  WriteFile(P("k1.key"));
  WriteFile(P("k22.key"));
  WriteFile(P("kx.key"));
  WriteFile(P("cache"));    // a file named cache
  MakeDir(P("sub/cache"));  // a directory named cache
  GlobExpansion e = Expand({"k[0-9].key", "**/cache/"});
  EXPECT_THAT(Paths(e), ElementsAre(P("k1.key"), P("sub/cache")));
  e = Expand({"k?*.key"});
  EXPECT_THAT(Paths(e), ElementsAre(P("k1.key"), P("k22.key"), P("kx.key")));
}

TEST_F(DenyGlob, DepthCapIsReported) {
  std::string deep = "d1/d2/d3/d4/d5";
  WriteFile(P(deep + "/x.env"));
  WriteFile(P("d1/d2/y.env"));
  GlobExpansion e = Expand({"**/*.env"}, 3);
  EXPECT_THAT(Paths(e), ElementsAre(P("d1/d2/y.env")));  // depth 3
  EXPECT_TRUE(e.depth_cap_hit);
  EXPECT_THAT(e.depth_capped, ElementsAre(P("d1/d2/d3")));
  e = Expand({"**/*.env"}, 6);
  EXPECT_THAT(Paths(e), ElementsAre(P(deep + "/x.env"), P("d1/d2/y.env")));
  EXPECT_FALSE(e.depth_cap_hit);
}

TEST_F(DenyGlob, SymlinksAreMatchedByNameButNeverFollowed) {
  MakeDir(P("a"));
  Symlink("..", P("a/loop"));        // a loop back to the root
  Symlink("/etc", P("a/etc-link"));  // outside the root
  Symlink("/nonexistent.env", P("dangling.env"));
  WriteFile(P("a/real.env"));
  GlobExpansion e = Expand({"**/*.env", "**/passwd"});
  ASSERT_THAT(Paths(e), ElementsAre(P("a/real.env"), P("dangling.env")));
  EXPECT_EQ(e.matches[1].kind, GlobEntryKind::kSymlink);
  EXPECT_THAT(e.unreadable, IsEmpty());
}

TEST_F(DenyGlob, DoubleStarAloneMatchesTheRoot) {
  WriteFile(P("x"));
  GlobExpansion e = Expand({"**"});
  ASSERT_THAT(Paths(e), ElementsAre(root_.path()));
  EXPECT_EQ(e.matches[0].kind, GlobEntryKind::kDirectory);
}

TEST_F(DenyGlob, UnreadableDirectoriesAreReported) {
  WriteFile(P("locked/x.env"));
  WriteFile(P("open/y.env"));
  ::chmod(P("locked").c_str(), 0);
  std::string root = root_.path();
  std::string out = testing_home::RunUnprivileged([&root] {
    Result<GlobExpansion> r = ExpandDenyGlobs(root, {"**/*.env"});
    if (!r) return r.error().ToString();
    std::string text;
    for (const GlobUnreadable& u : r->unreadable) {
      text += "U " + u.path + " " + ErrnoName(u.err) + "\n";
    }
    for (const GlobMatch& m : r->matches) text += "M " + m.path + "\n";
    return text;
  });
  EXPECT_EQ(out, "U " + P("locked") + " EACCES\nM " + P("open/y.env") + "\n");
}

TEST_F(DenyGlob, BadInput) {
  EXPECT_FALSE(ExpandDenyGlobs(root_.path(), {"a/../b"}).ok());
  EXPECT_FALSE(ExpandDenyGlobs(root_.path(), {""}).ok());
  EXPECT_FALSE(ExpandDenyGlobs(root_.path(), {"/"}).ok());
  EXPECT_FALSE(ExpandDenyGlobs(root_.path(), {"*.env"}, 0).ok());
  EXPECT_FALSE(ExpandDenyGlobs(P("missing"), {"*.env"}).ok());
  EXPECT_TRUE(ValidateDenyGlob("./**/x/").ok());
  EXPECT_FALSE(ValidateDenyGlob("..").ok());
}

}  // namespace
}  // namespace cordon
