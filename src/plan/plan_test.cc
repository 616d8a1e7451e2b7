#include "plan/plan.h"

#include <unistd.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "plan/seccomp_policy.h"

namespace cordon {
namespace {

namespace fs = std::filesystem;

class PlanTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // Below /var/tmp, which no built-in profile makes writable, so the plan is the same on every
    // machine apart from this directory's name.
    char tmpl[] = "/var/tmp/cordon-plan-XXXXXX";
    root_ = fs::canonical(::mkdtemp(tmpl)).string();
    ws_ = root_ + "/ws";
    fs::create_directories(ws_ + "/.git/hooks");
    ctx_.workspace_root = ws_;
    ctx_.home = root_;
    in_.argv = {"make", "test"};
    in_.env = {"PATH=/usr/bin:/bin", "HOME=/home/u", "SSH_AUTH_SOCK=/run/agent", "LANG=C.UTF-8"};
    in_.uid = 1000;
    in_.gid = 1000;
  }
  void TearDown() override { fs::remove_all(root_); }

  Result<Plan> Build(const std::string& toml = "", const std::string& profile = "") {
    auto config = ParseConfig(toml, "cfg.toml");
    EXPECT_TRUE(config.ok()) << config.error().ToString();
    ctx_.profile = profile;
    auto policy = ResolvePolicy(*config, ctx_);
    if (!policy) return policy.error();
    policy_ = *policy;
    return BuildPlan(policy_, in_);
  }

  std::string root_;
  std::string ws_;
  PolicyContext ctx_;
  PlanInputs in_;
  Policy policy_;
};

// The whole `cordon explain` output for the default profile. A change here changes what cordon
// does to every command: review the diff, then regenerate with CORDON_UPDATE_GOLDEN=1.
TEST_F(PlanTest, WorkspaceProfileMatchesGolden) {
  auto plan = Build();
  ASSERT_TRUE(plan.ok()) << plan.error().ToString();
  std::string text = PlanToText(*plan, policy_);
  for (size_t pos; (pos = text.find(root_)) != std::string::npos;) text.replace(pos, root_.size(), "<ROOT>");
  const std::string golden = std::string(CORDON_SOURCE_DIR) + "/src/plan/testdata/workspace_plan.txt";
  if (std::getenv("CORDON_UPDATE_GOLDEN") != nullptr) {
    std::ofstream(golden) << text;
  }
  std::ifstream in(golden);
  std::stringstream expected;
  expected << in.rdbuf();
  EXPECT_EQ(text, expected.str());
}

TEST_F(PlanTest, MountOrderIsRootThenRulesThenProtectionsThenProcAndDev) {
  auto plan = Build();
  ASSERT_TRUE(plan.ok());
  std::vector<std::string> got;
  for (const auto& m : plan->mounts) {
    got.push_back(std::string(MountKindName(m.kind)) + " " + m.target + (m.writable ? " rw" : " ro"));
  }
  const std::vector<std::string> want = {"root-from-host / ro", "bind /tmp rw",
                                         "bind " + ws_ + " rw", "bind " + ws_ + "/.git ro",
                                         // missing protected names: read-only placeholders
                                         "bind " + ws_ + "/.codex ro", "bind " + ws_ + "/.agents ro",
                                         "bind " + ws_ + "/.cordon ro",
                                         "proc /proc ro", "dev /dev ro"};
  EXPECT_EQ(got, want);
}

TEST_F(PlanTest, GitFileProtectsTheGitDirectoryAndTheCommonDirectory) {
  fs::remove_all(ws_ + "/.git");
  const std::string main_git = root_ + "/main/.git";
  fs::create_directories(main_git + "/worktrees/wt");
  std::ofstream(ws_ + "/.git") << "gitdir: " << main_git << "/worktrees/wt\n";
  std::ofstream(main_git + "/worktrees/wt/commondir") << "../..\n";
  // The main repository lives in an extra writable root, so its .git would be writable.
  ctx_.writable_roots = {root_ + "/main"};
  auto plan = Build();
  ASSERT_TRUE(plan.ok()) << plan.error().ToString();
  std::vector<std::string> protected_paths;
  for (const auto& m : plan->mounts) {
    if (m.kind == MountKind::kBind && !m.writable) protected_paths.push_back(m.target);
  }
  EXPECT_NE(std::find(protected_paths.begin(), protected_paths.end(), ws_ + "/.git"),
            protected_paths.end());
  EXPECT_NE(std::find(protected_paths.begin(), protected_paths.end(), main_git + "/worktrees/wt"),
            protected_paths.end());
  EXPECT_NE(std::find(protected_paths.begin(), protected_paths.end(), main_git),
            protected_paths.end());
}

TEST_F(PlanTest, RestrictedReadStartsFromAnEmptyRoot) {
  fs::remove_all(ws_ + "/.git");  // no protected names: nothing Landlock cannot express
  auto plan = Build("[permissions.r.filesystem]\n\":minimal\" = \"read\"\n\":workspace_roots\" = \"write\"\n", "r");
  ASSERT_TRUE(plan.ok()) << plan.error().ToString();
  EXPECT_EQ(plan->mounts.front().kind, MountKind::kRootEmpty);
  bool usr = false;
  for (const auto& m : plan->mounts) usr = usr || (m.kind == MountKind::kBind && m.target == "/usr");
  EXPECT_TRUE(usr);
  // Restricted read is exactly what Landlock expresses; only the read-only placeholders of the
  // missing protected names (.codex, .agents, .cordon) are the mount layer's alone.
  EXPECT_EQ(plan->landlock_gaps.size(), 3u);
  for (const auto& gap : plan->landlock_gaps) {
    EXPECT_NE(gap.find("read-only inside a writable root"), std::string::npos) << gap;
  }
}

TEST_F(PlanTest, CarveOutsAreMountedInOrderAndLandlockGapsAreListed) {
  fs::create_directories(ws_ + "/docs/tmp");
  fs::create_directories(ws_ + "/secret");
  auto plan = Build("[permissions.p]\nextends = \":workspace\"\n"
                    "[permissions.p.filesystem]\n"
                    "\":workspace_roots\" = { \".\" = \"write\", \"docs\" = \"read\", \"docs/tmp\" = \"write\", \"secret\" = \"deny\" }\n",
                    "p");
  ASSERT_TRUE(plan.ok()) << plan.error().ToString();
  std::vector<std::string> got;
  for (const auto& m : plan->mounts) got.push_back(std::string(MountKindName(m.kind)) + " " + m.target);
  auto pos = [&](const std::string& s) { return std::find(got.begin(), got.end(), s) - got.begin(); };
  EXPECT_LT(pos("bind " + ws_), pos("bind " + ws_ + "/docs"));
  EXPECT_LT(pos("bind " + ws_ + "/docs"), pos("bind " + ws_ + "/docs/tmp"));
  EXPECT_LT(pos("mask-dir " + ws_ + "/secret"), static_cast<long>(got.size()));
  EXPECT_FALSE(plan->landlock_full_coverage);
  EXPECT_EQ(plan->landlock_gaps.front(), ws_ + "/docs = read below " + ws_ + " = write");
}

TEST_F(PlanTest, MissingCarveOutUnderAWritableParentGetsAPlaceholder) {
  ctx_.cordon_home = root_ + "/cordon-home";
  auto plan = Build("[permissions.p]\nextends = \":workspace\"\n"
                    "[permissions.p.filesystem]\n\":workspace_roots\" = { \".\" = \"write\", "
                    "\"docs/api\" = \"read\", \"keys\" = \"deny\" }\n",
                    "p");
  ASSERT_TRUE(plan.ok()) << plan.error().ToString();
  std::vector<std::string> placeholders;
  for (const auto& p : plan->placeholders) placeholders.push_back(p.path);
  // Missing parents first; then the protected names.
  const std::vector<std::string> want = {ws_ + "/docs", ws_ + "/docs/api", ws_ + "/keys",
                                         ws_ + "/.codex", ws_ + "/.agents", ws_ + "/.cordon"};
  EXPECT_EQ(placeholders, want);
  EXPECT_EQ(plan->placeholder_registry, root_ + "/cordon-home/placeholders");
  bool docs_ro = false, keys_masked = false;
  for (const auto& m : plan->mounts) {
    docs_ro = docs_ro || (m.kind == MountKind::kBind && m.target == ws_ + "/docs/api" && !m.writable);
    keys_masked = keys_masked || (m.kind == MountKind::kMaskDir && m.target == ws_ + "/keys");
  }
  EXPECT_TRUE(docs_ro);
  EXPECT_TRUE(keys_masked);
}

// A path re-opened below a denied directory gets a mount point inside the mask.
TEST_F(PlanTest, ReopenedPathsBelowADenialGetMountPointsInTheMask) {
  fs::create_directories(ws_ + "/secret/pub/deep");
  std::ofstream(ws_ + "/secret/one") << "x";
  auto plan = Build("[permissions.p]\nextends = \":workspace\"\n"
                    "[permissions.p.filesystem]\n\":workspace_roots\" = { \".\" = \"write\", "
                    "\"secret\" = \"deny\", \"secret/pub/deep\" = \"read\", \"secret/one\" = "
                    "\"write\" }\n",
                    "p");
  ASSERT_TRUE(plan.ok()) << plan.error().ToString();
  const MountOp* mask = nullptr;
  for (const auto& m : plan->mounts) {
    if (m.kind == MountKind::kMaskDir && m.target == ws_ + "/secret") mask = &m;
  }
  ASSERT_NE(mask, nullptr);
  ASSERT_EQ(mask->mount_points.size(), 2u);
  EXPECT_EQ(mask->mount_points[0].rel, "one");
  EXPECT_TRUE(mask->mount_points[0].file);
  EXPECT_EQ(mask->mount_points[1].rel, "pub/deep");
  EXPECT_FALSE(mask->mount_points[1].file);
}

TEST_F(PlanTest, EnvironmentIsScrubbedAndMarked) {
  auto plan = Build();
  ASSERT_TRUE(plan.ok());
  const std::vector<std::string> want = {"PATH=/usr/bin:/bin", "HOME=/home/u", "LANG=C.UTF-8",
                                         "CORDON_SANDBOX=1", "CORDON_SANDBOX_NETWORK=none"};
  EXPECT_EQ(plan->env, want);
}

TEST_F(PlanTest, RootMapsAllIdsAndKeepsOnlyFileCapabilities) {
  in_.uid = 0;
  in_.gid = 0;
  auto plan = Build();
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(plan->uid_map.count, 4294967295ULL);
  EXPECT_FALSE(plan->deny_setgroups);
  EXPECT_EQ(plan->kept_capabilities.size(), 5u);
  in_.uid = 1000;
  plan = Build();
  EXPECT_EQ(plan->uid_map.count, 1u);
  EXPECT_TRUE(plan->kept_capabilities.empty());
}

TEST_F(PlanTest, EmptyCommandAndBadCdAreErrors) {
  in_.argv.clear();
  EXPECT_NE(Build().error().ToString().find("nothing to run"), std::string::npos);
  in_.argv = {"true"};
  in_.cd = "/etc";
  EXPECT_NE(Build().error().ToString().find("must be inside the workspace"), std::string::npos);
  in_.cd = "no-such-dir";
  EXPECT_NE(Build().error().ToString().find("does not exist"), std::string::npos);
}

TEST(SeccompPolicy, EveryBlockHasAReasonAndTheRequiredSurfaceIsCovered) {
  std::set<std::string> names;
  for (const auto& b : SeccompBlocks()) {
    EXPECT_FALSE(b.reason.empty()) << b.syscall;
    names.insert(b.syscall);
  }
  for (const char* required : {"io_uring_setup", "ioctl", "mount", "keyctl", "bpf",
                               "perf_event_open", "userfaultfd", "init_module", "kexec_load",
                               "unshare", "clone3", "open_by_handle_at"}) {
    EXPECT_TRUE(names.count(required)) << required;
  }
}

}  // namespace
}  // namespace cordon
