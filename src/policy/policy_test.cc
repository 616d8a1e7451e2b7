#include "policy/policy.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <filesystem>

namespace cordon {
namespace {

class PolicyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/cordon-policy-XXXXXX";
    root_ = ::mkdtemp(tmpl);
    root_ = std::filesystem::canonical(root_).string();
    std::filesystem::create_directories(root_ + "/ws/docs");
    std::filesystem::create_directories(root_ + "/home/.ssh");
    std::filesystem::create_directories(root_ + "/extra");
    ctx_.workspace_root = root_ + "/ws";
    ctx_.home = root_ + "/home";
  }
  void TearDown() override { std::filesystem::remove_all(root_); }

  Policy Resolve(const std::string& toml, const std::string& profile = "") {
    auto config = ParseConfig(toml, "cfg.toml");
    EXPECT_TRUE(config.ok()) << config.error().ToString();
    ctx_.profile = profile;
    auto policy = ResolvePolicy(*config, ctx_);
    EXPECT_TRUE(policy.ok()) << policy.error().ToString();
    return policy.ok() ? *policy : Policy{};
  }
  Error ResolveError(const std::string& toml, const std::string& profile = "") {
    auto config = ParseConfig(toml, "cfg.toml");
    EXPECT_TRUE(config.ok());
    ctx_.profile = profile;
    auto policy = ResolvePolicy(*config, ctx_);
    EXPECT_FALSE(policy.ok());
    return policy.ok() ? Error{} : policy.error();
  }

  std::string root_;
  PolicyContext ctx_;
};

TEST_F(PolicyTest, WorkspaceIsTheDefault) {
  Policy p = Resolve("");
  EXPECT_EQ(p.profile, ":workspace");
  EXPECT_TRUE(p.FullRead());
  EXPECT_EQ(p.Decide(root_ + "/ws/file").access, Access::kWrite);
  EXPECT_EQ(p.Decide("/tmp/x").access, Access::kWrite);
  EXPECT_EQ(p.Decide("/etc/passwd").access, Access::kRead);
  EXPECT_EQ(p.network.mode, NetworkMode::kNone);
}

TEST_F(PolicyTest, ReadOnlyAndFullAccess) {
  Policy ro = Resolve("", ":read-only");
  EXPECT_EQ(ro.Decide(root_ + "/ws/f").access, Access::kRead);
  Policy full = Resolve("", ":danger-full-access");
  EXPECT_EQ(full.Decide("/etc/passwd").access, Access::kWrite);
  EXPECT_EQ(full.network.mode, NetworkMode::kFull);
  EXPECT_FALSE(full.protect_names);
}

// Table-driven: the most specific rule wins; on a tie deny beats write beats read.
struct DecideCase {
  std::string rel;       // path below root_
  bool visible;
  Access access;
};

TEST_F(PolicyTest, MostSpecificRuleWinsAndTiesPreferDeny) {
  const std::string toml = "[permissions.p.filesystem]\n"
                           "\"" + root_ + "/ws\" = \"write\"\n"
                           "\"" + root_ + "/ws/docs\" = \"read\"\n"
                           "\"" + root_ + "/ws/docs/tmp\" = \"write\"\n"
                           "\"" + root_ + "/ws/secret\" = \"deny\"\n"
                           "\":workspace_roots\" = { \"secret\" = \"read\", \"docs/tmp\" = \"write\" }\n";
  Policy p = Resolve(toml, "p");
  const std::vector<DecideCase> cases = {
      {"/ws/a", true, Access::kWrite},         {"/ws/docs", true, Access::kRead},
      {"/ws/docs/x", true, Access::kRead},     {"/ws/docs/tmp/y", true, Access::kWrite},
      {"/ws/secret/z", true, Access::kDeny},   {"/elsewhere", false, Access::kDeny},
      {"/ws-sibling", false, Access::kDeny},
  };
  for (const auto& c : cases) {
    Decision d = p.Decide(root_ + c.rel);
    EXPECT_EQ(d.visible, c.visible) << c.rel;
    if (c.visible) {
      EXPECT_EQ(d.access, c.access) << c.rel;
    }
  }
}

TEST_F(PolicyTest, HomeTildeAndTokens) {
  Policy p = Resolve("[permissions.p.filesystem]\n\":minimal\" = \"read\"\n\"~/notes\" = \"write\"\n"
                     "\":tmpdir\" = \"write\"\n",
                     "p");
  EXPECT_FALSE(p.FullRead());
  EXPECT_EQ(p.Decide(root_ + "/home/notes/a").access, Access::kWrite);
  EXPECT_EQ(p.Decide("/usr/bin/env").access, Access::kRead);
  EXPECT_FALSE(p.Decide("/root").visible);
}

TEST_F(PolicyTest, ExtendsMergesAndChildKeysReplaceParentKeys) {
  const std::string toml = "[permissions.base]\nextends = \":read-only\"\n"
                           "[permissions.base.filesystem]\n\"/opt\" = \"deny\"\n"
                           "[permissions.child]\nextends = \"base\"\n"
                           "[permissions.child.filesystem]\n\"/opt\" = \"write\"\n";
  Policy p = Resolve(toml, "child");
  EXPECT_EQ(p.profile_chain, (std::vector<std::string>{"child", "base", ":read-only"}));
  EXPECT_EQ(p.Decide("/opt/x").access, Access::kWrite);
  EXPECT_EQ(p.Decide("/etc").access, Access::kRead);
}

TEST_F(PolicyTest, ExtendsCyclesAndUnknownParentsAreErrors) {
  Error e = ResolveError("[permissions.a]\nextends = \"b\"\n[permissions.b]\nextends = \"a\"\n", "a");
  EXPECT_NE(e.ToString().find("cycle: a -> b -> a"), std::string::npos) << e.ToString();
  e = ResolveError("[permissions.a]\nextends = \"ghost\"\n", "a");
  EXPECT_NE(e.ToString().find("extends unknown profile 'ghost'"), std::string::npos) << e.ToString();
  e = ResolveError("", "nope");
  EXPECT_NE(e.ToString().find("unknown profile 'nope'"), std::string::npos);
}

TEST_F(PolicyTest, DefaultPermissionsSelectsAProfile) {
  Policy p = Resolve("default_permissions = \":read-only\"\n");
  EXPECT_EQ(p.profile, ":read-only");
}

TEST_F(PolicyTest, WritableRootsAndExclusions) {
  ctx_.writable_roots = {root_ + "/extra"};
  // Not $HOME itself: a rule on exactly $HOME is replaced by rules on its children.
  std::filesystem::create_directories(root_ + "/tmpdir");
  ctx_.tmpdir = root_ + "/tmpdir";
  Policy p = Resolve("[sandbox_workspace_write]\nexclude_slash_tmp = true\n");
  EXPECT_EQ(p.Decide(root_ + "/extra/x").access, Access::kWrite);
  EXPECT_EQ(p.Decide("/tmp/x").access, Access::kRead);
  EXPECT_EQ(p.Decide(root_ + "/tmpdir/x").access, Access::kWrite);  // $TMPDIR
  // (the fixture lives below /tmp, so /tmp stays excluded here too)
  p = Resolve("[sandbox_workspace_write]\nexclude_tmpdir_env_var = true\nexclude_slash_tmp = true\n");
  EXPECT_EQ(p.Decide(root_ + "/tmpdir/x").access, Access::kRead);
}

TEST_F(PolicyTest, SymlinksAreResolvedBeforeGranting) {
  std::filesystem::create_directory_symlink(root_ + "/extra", root_ + "/link");
  ctx_.writable_roots = {root_ + "/link"};
  Policy p = Resolve("");
  EXPECT_EQ(p.Decide(root_ + "/extra/f").access, Access::kWrite);
  bool found_link = false;
  for (const auto& r : p.rules) found_link = found_link || r.path == root_ + "/link";
  EXPECT_FALSE(found_link);
}

TEST_F(PolicyTest, MissingWorkspaceAndRelativeRootsAreErrors) {
  ctx_.workspace_root = root_ + "/missing";
  EXPECT_NE(ResolveError("").ToString().find("does not exist"), std::string::npos);
  ctx_.workspace_root = "relative";
  EXPECT_NE(ResolveError("").ToString().find("absolute"), std::string::npos);
  ctx_.workspace_root = root_ + "/ws";
  ctx_.writable_roots = {"rel"};
  EXPECT_NE(ResolveError("").ToString().find("must be an absolute path"), std::string::npos);
}

}  // namespace
}  // namespace cordon
