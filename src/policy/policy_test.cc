#include "policy/policy.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
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
  std::string rel;  // path below root_
  bool visible;
  Access access;
};

TEST_F(PolicyTest, MostSpecificRuleWinsAndTiesPreferDeny) {
  const std::string toml =
      "[permissions.p.filesystem]\n"
      "\"" +
      root_ +
      "/ws\" = \"write\"\n"
      "\"" +
      root_ +
      "/ws/docs\" = \"read\"\n"
      "\"" +
      root_ +
      "/ws/docs/tmp\" = \"write\"\n"
      "\"" +
      root_ +
      "/ws/secret\" = \"deny\"\n"
      "\":workspace_roots\" = { \"secret\" = \"read\", \"docs/tmp\" = \"write\" }\n";
  Policy p = Resolve(toml, "p");
  const std::vector<DecideCase> cases = {
      {"/ws/a", true, Access::kWrite},       {"/ws/docs", true, Access::kRead},
      {"/ws/docs/x", true, Access::kRead},   {"/ws/docs/tmp/y", true, Access::kWrite},
      {"/ws/secret/z", true, Access::kDeny}, {"/elsewhere", false, Access::kDeny},
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
  Policy p = Resolve(
      "[permissions.p.filesystem]\n\":minimal\" = \"read\"\n\"~/notes\" = \"write\"\n"
      "\":tmpdir\" = \"write\"\n",
      "p");
  EXPECT_FALSE(p.FullRead());
  EXPECT_EQ(p.Decide(root_ + "/home/notes/a").access, Access::kWrite);
  EXPECT_EQ(p.Decide("/usr/bin/env").access, Access::kRead);
  EXPECT_FALSE(p.Decide("/root").visible);
}

TEST_F(PolicyTest, ExtendsMergesAndChildKeysReplaceParentKeys) {
  const std::string toml =
      "[permissions.base]\nextends = \":read-only\"\n"
      "[permissions.base.filesystem]\n\"/opt\" = \"deny\"\n"
      "[permissions.child]\nextends = \"base\"\n"
      "[permissions.child.filesystem]\n\"/opt\" = \"write\"\n";
  Policy p = Resolve(toml, "child");
  EXPECT_EQ(p.profile_chain, (std::vector<std::string>{"child", "base", ":read-only"}));
  EXPECT_EQ(p.Decide("/opt/x").access, Access::kWrite);
  EXPECT_EQ(p.Decide("/etc").access, Access::kRead);
}

TEST_F(PolicyTest, ExtendsCyclesAndUnknownParentsAreErrors) {
  Error e =
      ResolveError("[permissions.a]\nextends = \"b\"\n[permissions.b]\nextends = \"a\"\n", "a");
  EXPECT_NE(e.ToString().find("cycle: a -> b -> a"), std::string::npos) << e.ToString();
  e = ResolveError("[permissions.a]\nextends = \"ghost\"\n", "a");
  EXPECT_NE(e.ToString().find("extends unknown profile 'ghost'"), std::string::npos)
      << e.ToString();
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
  p = Resolve(
      "[sandbox_workspace_write]\nexclude_tmpdir_env_var = true\nexclude_slash_tmp = true\n");
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

// Table-driven: tokens, `~`, nesting and ties across entries that resolve to the same path.
TEST_F(PolicyTest, TiesAcrossEntriesPreferDenyThenWriteAndAreRecorded) {
  std::filesystem::create_directories(root_ + "/extra/sub");
  std::filesystem::create_directory_symlink(root_ + "/extra", root_ + "/alias");
  const std::string toml =
      "[permissions.p.filesystem]\n"
      "\":root\" = \"read\"\n"
      "\"" +
      root_ +
      "/extra\" = \"read\"\n"
      "\"" +
      root_ +
      "/alias\" = \"write\"\n"  // same path as extra
      "\"" +
      root_ +
      "/extra/sub\" = \"write\"\n"
      "\"" +
      root_ +
      "/alias/sub\" = \"deny\"\n"  // same path as extra/sub
      "\"~/notes\" = \"read\"\n"
      "\"" +
      root_ + "/home/notes\" = \"write\"\n";
  Policy p = Resolve(toml, "p");
  const std::vector<DecideCase> cases = {
      {"/extra/f", true, Access::kWrite},       // write beats read
      {"/extra/sub/f", true, Access::kDeny},    // deny beats write
      {"/home/notes/n", true, Access::kWrite},  // ~ and the absolute path are the same path
      {"/ws/x", true, Access::kRead},
  };
  for (const auto& c : cases) {
    Decision d = p.Decide(root_ + c.rel);
    EXPECT_EQ(d.visible, c.visible) << c.rel;
    EXPECT_EQ(d.access, c.access) << c.rel;
  }
  const Decision d = p.Decide(root_ + "/extra/sub/f");
  ASSERT_NE(d.rule, nullptr);
  ASSERT_EQ(d.rule->tied.size(), 1u);
  EXPECT_NE(d.rule->tied[0].find("write"), std::string::npos) << d.rule->tied[0];
  const std::string explained = ExplainPath(p, root_ + "/alias/sub/f");
  EXPECT_NE(explained.find("decision: denied"), std::string::npos) << explained;
  EXPECT_NE(explained.find("lost: write"), std::string::npos) << explained;
}

TEST_F(PolicyTest, CredentialsAreDeniedUnderRootUnlessAnExactRuleOptsOut) {
  std::filesystem::create_directories(root_ + "/home/.aws");
  std::filesystem::create_directories(root_ + "/home/keys");
  std::filesystem::create_directories(root_ + "/cordon-home");
  {
    std::FILE* f = std::fopen((root_ + "/home/.ssh/config").c_str(), "w");
    std::fputs("Host *\n  IdentityFile ~/keys/id\n", f);
    std::fclose(f);
    f = std::fopen((root_ + "/home/keys/id").c_str(), "w");
    std::fclose(f);
  }
  ctx_.cordon_home = root_ + "/cordon-home";
  Policy p = Resolve("");
  EXPECT_EQ(p.Decide(root_ + "/home/.ssh/id_rsa").access, Access::kDeny);
  EXPECT_EQ(p.Decide(root_ + "/home/.aws/credentials").access, Access::kDeny);
  EXPECT_EQ(p.Decide(root_ + "/home/keys/id").access, Access::kDeny);  // named by ssh config
  EXPECT_EQ(p.Decide(root_ + "/cordon-home/config.toml").access, Access::kDeny);
  EXPECT_NE(p.Decide(root_ + "/home/other").access, Access::kDeny);  // (/tmp: writable)
  EXPECT_TRUE(p.Decide(root_ + "/home/.aws").rule->credential_default);
  // A missing credential store gets no rule (nothing to read, nothing is created).
  for (const auto& r : p.rules) EXPECT_EQ(r.path.find("/.gnupg"), std::string::npos) << r.path;
  // An explicit rule for exactly that path opts out; the others stay denied.
  p = Resolve(
      "[permissions.p]\nextends = \":workspace\"\n[permissions.p.filesystem]\n"
      "\"~/.aws\" = \"read\"\n",
      "p");
  EXPECT_EQ(p.Decide(root_ + "/home/.aws/credentials").access, Access::kRead);
  EXPECT_EQ(p.Decide(root_ + "/home/.ssh/id_rsa").access, Access::kDeny);
}

TEST_F(PolicyTest, HomeRuleIsReplacedByItsChildrenMinusCredentials) {
  std::filesystem::create_directories(root_ + "/home/notes");
  std::filesystem::create_directories(root_ + "/home/.gnupg");
  Policy p =
      Resolve("[permissions.p.filesystem]\n\":minimal\" = \"read\"\n\"~\" = \"write\"\n", "p");
  EXPECT_EQ(p.Decide(root_ + "/home/notes/x").access, Access::kWrite);
  EXPECT_FALSE(p.Decide(root_ + "/home/.ssh/id").visible);
  EXPECT_FALSE(p.Decide(root_ + "/home/.gnupg/k").visible);
  EXPECT_FALSE(p.Decide(root_ + "/home/new-top-level-file").visible);
  bool traced = false;
  for (const auto& rr : p.resolution) {
    for (const auto& step : rr.steps) traced = traced || step.find("left out") != std::string::npos;
  }
  EXPECT_TRUE(traced);
}

TEST_F(PolicyTest, DenyGlobsExpandToTheMatchesThatExistAndOnlyDeny) {
  std::filesystem::create_directories(root_ + "/ws/a/b");
  for (const char* f : {"/ws/top.env", "/ws/a/b/deep.env", "/ws/a/keep.txt"}) {
    std::fclose(std::fopen((root_ + f).c_str(), "w"));
  }
  Policy p = Resolve(
      "[permissions.p.filesystem]\n\":root\" = \"read\"\n"
      "\":workspace_roots\" = { \".\" = \"write\", \"**/*.env\" = \"deny\" }\n",
      "p");
  EXPECT_EQ(p.Decide(root_ + "/ws/top.env").access, Access::kDeny);
  EXPECT_EQ(p.Decide(root_ + "/ws/a/b/deep.env").access, Access::kDeny);
  EXPECT_EQ(p.Decide(root_ + "/ws/a/keep.txt").access, Access::kWrite);
  EXPECT_EQ(p.Decide(root_ + "/ws/later.env").access,
            Access::kWrite);  // created later: not covered
  Error e = ResolveError(
      "[permissions.p.filesystem]\n\":workspace_roots\" = { \"*.md\" = \"read\" }\n", "p");
  EXPECT_NE(e.ToString().find("a glob can only deny"), std::string::npos) << e.ToString();
  e = ResolveError("[permissions.p.filesystem]\n\":workspace_roots\" = { \"../up\" = \"read\" }\n",
                   "p");
  EXPECT_NE(e.ToString().find("leaves the workspace root"), std::string::npos) << e.ToString();
}

TEST_F(PolicyTest, DecideScalesWithDepthNotRuleCount) {
  // Each Decide is a few binary searches, so 1,000 times more rules may cost a few more
  // comparisons per lookup, never 1,000 times the time (a scan of every rule would). Compared in
  // the same process rather than against a wall-clock bound, so that a loaded machine or a
  // sanitizer build cannot fail it (and a slow machine cannot hide a scan).
  auto lookups_ms = [](int rule_count) {
    Policy p;
    for (int i = 0; i < rule_count; ++i) {
      p.rules.push_back({"/r/" + std::to_string(100000 + i), Access::kRead, "t", false, {}});
    }
    p.rules.push_back({"/", Access::kWrite, "t", false, {}});
    std::sort(p.rules.begin(), p.rules.end(),
              [](const FsRule& a, const FsRule& b) { return a.path < b.path; });
    const auto start = std::chrono::steady_clock::now();
    int reads = 0;
    for (int i = 0; i < 100000; ++i) {
      reads += p.Decide("/r/" + std::to_string(100000 + i % rule_count) + "/x/y").access ==
               Access::kRead;
    }
    const double ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    EXPECT_EQ(reads, 100000);
    EXPECT_EQ(p.Decide("/other").access, Access::kWrite);
    return ms;
  };
  const double few = lookups_ms(20);
  const double many = lookups_ms(20000);
  EXPECT_LT(many, 10 * few) << "20 rules: " << few << " ms, 20,000 rules: " << many << " ms";
}

}  // namespace
}  // namespace cordon
