// $HOME expansion and the sensitive list, on homes built in temporary directories.
#include "policy/home/home_expansion.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>

#include "base/sys.h"
#include "policy/home/home_sensitive.h"
#include "policy/home/home_test_util.h"

namespace cordon {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::IsSupersetOf;
using ::testing::Not;
using testing_home::MakeDir;
using testing_home::Symlink;
using testing_home::TempDir;
using testing_home::WriteFile;

std::vector<std::string> Granted(const HomeExpansion& e) {
  std::vector<std::string> out;
  for (const HomeRule& r : e.rules) out.push_back(r.path);
  return out;
}

std::vector<std::string> Excluded(const HomeExpansion& e) {
  std::vector<std::string> out;
  for (const HomeExclusion& x : e.excluded) out.push_back(x.path);
  return out;
}

SshConfigPaths SshWith(std::vector<SshPathRef> refs) {
  SshConfigPaths s;
  s.refs = std::move(refs);
  return s;
}

class HomeExpand : public ::testing::Test {
 protected:
  std::string H(const std::string& rel) const { return home_ / rel; }
  TempDir home_;
};

TEST_F(HomeExpand, ChildrenMinusSensitiveEntries) {
  for (const char* d : {".ssh", ".gnupg", ".aws", ".azure", ".kube", ".docker", ".pki",
                        ".terraform.d", ".tsh", ".brev", "projects", ".local/bin"}) {
    MakeDir(H(d));
  }
  WriteFile(H(".netrc"));
  WriteFile(H(".bashrc"));
  HomeExpansion e = ExpandHomeGrant(home_.path(), HomeGrantAccess::kWrite, {}, {});
  ASSERT_TRUE(e.ok) << e.error;
  // .local is replaced by its children because .local/share/keyrings is sensitive.
  EXPECT_THAT(Granted(e), ElementsAre(H(".bashrc"), H(".local/bin"), H("projects")));
  for (const HomeRule& r : e.rules) EXPECT_EQ(r.access, HomeGrantAccess::kWrite);
  EXPECT_THAT(Excluded(e),
              IsSupersetOf(std::vector<std::string>{
                  H(".ssh"), H(".gnupg"), H(".aws"), H(".azure"), H(".kube"), H(".docker"),
                  H(".pki"), H(".terraform.d"), H(".tsh"), H(".brev"), H(".netrc")}));
  for (const HomeExclusion& x : e.excluded) EXPECT_FALSE(x.reason.empty()) << x.path;
}

TEST_F(HomeExpand, NestedEntryReplacesItsParentByTheParentsChildren) {
  MakeDir(H(".config/gh"));
  MakeDir(H(".config/nvim"));
  WriteFile(H(".config/user-dirs.dirs"));
  MakeDir(H(".config/git"));
  WriteFile(H(".config/git/config"));
  WriteFile(H(".config/git/credentials"));  // two levels down
  HomeExpansion e = ExpandHomeGrant(home_.path(), HomeGrantAccess::kRead, {}, {});
  ASSERT_TRUE(e.ok) << e.error;
  EXPECT_THAT(Granted(e),
              ElementsAre(H(".config/git/config"), H(".config/nvim"), H(".config/user-dirs.dirs")));
  EXPECT_THAT(Excluded(e),
              IsSupersetOf(std::vector<std::string>{H(".config"), H(".config/gh"), H(".config/git"),
                                                    H(".config/git/credentials")}));
}

TEST_F(HomeExpand, EverySshReferencedTopLevelChildIsLeftOut) {
  for (const char* d : {".cache/ssh", ".cache/pip", "keys", "projects", "ctl", "other"}) {
    MakeDir(H(d));
  }
  WriteFile(H(".cm-abc123"));
  WriteFile(H(".known"));
  SshConfigPaths ssh = SshWith({
      {H("keys/id_ed25519"), "", "identityfile", "/c", 3},
      {H(".cache/ssh"), H(".cache/ssh/*"), "controlpath", "/c", 4},
      {H(".known"), "", "userknownhostsfile", "/c", 5},
      {home_.path(), H(".cm-*"), "controlpath", "/c", 6},  // ControlPath ~/.cm-%C
      {"/etc/ssh/ssh_known_hosts", "", "globalknownhostsfile", "/c", 7},
  });
  HomeExpansion e = ExpandHomeGrant(home_.path(), HomeGrantAccess::kRead, ssh, {});
  ASSERT_TRUE(e.ok) << e.error;
  EXPECT_THAT(Granted(e), ElementsAre(H("ctl"), H("other"), H("projects")));
  EXPECT_THAT(Excluded(e), IsSupersetOf(std::vector<std::string>{H(".cache"), H("keys"),
                                                                 H(".known"), H(".cm-abc123")}));
  auto it = std::find_if(e.excluded.begin(), e.excluded.end(),
                         [&](const HomeExclusion& x) { return x.path == H("keys"); });
  ASSERT_NE(it, e.excluded.end());
  EXPECT_EQ(it->reason, "named by /c:3 (identityfile)");
}

TEST_F(HomeExpand, UnknownTokenAtHomeLevelLeavesOutEveryChildItCouldName) {
  MakeDir(H("a"));
  MakeDir(H("b"));
  // IdentityFile ~/${UNSET}/id: any child could be meant.
  SshConfigPaths ssh = SshWith({{home_.path(), H("*/id"), "identityfile", "/c", 1}});
  HomeExpansion e = ExpandHomeGrant(home_.path(), HomeGrantAccess::kRead, ssh, {});
  ASSERT_TRUE(e.ok);
  EXPECT_THAT(Granted(e), IsEmpty());
}

TEST_F(HomeExpand, SymlinksThatReachProtectedPathsAreLeftOut) {
  MakeDir(H(".ssh"));
  MakeDir(H("projects"));
  MakeDir(H("realkeys"));
  Symlink(".ssh", H("ssh-link"));       // to a sensitive entry
  Symlink(".ssh/id", H("key-link"));    // below one
  Symlink(".", H("home-link"));         // to $HOME itself
  Symlink("/", H("root-link"));         // to an ancestor of $HOME
  Symlink("projects", H("proj-link"));  // harmless
  Symlink("realkeys", H("keys-link"));  // to an SSH-referenced child
  MakeDir(H("shared/ssh-sock"));
  MakeDir(H("shared/build"));
  Symlink("shared/ssh-sock", H("sock-link"));  // named by nothing: harmless
  Symlink("shared/build", H("build-link"));
  SshConfigPaths ssh = SshWith({{H("realkeys/id"), "", "identityfile", "/c", 1},
                                {"/elsewhere", "/elsewhere/ssh-*", "controlpath", "/c", 2}});
  Symlink("/elsewhere/ssh-x", H("sock-link2"));
  Symlink("/elsewhere/other", H("other-link"));
  HomeExpansion e = ExpandHomeGrant(home_.path(), HomeGrantAccess::kRead, ssh, {});
  ASSERT_TRUE(e.ok) << e.error;
  EXPECT_THAT(Granted(e), ElementsAre(H("build-link"), H("other-link"), H("proj-link"),
                                      H("projects"), H("shared"), H("sock-link")));
  EXPECT_THAT(Excluded(e), Contains(H("sock-link2")));
  EXPECT_THAT(Excluded(e), IsSupersetOf(std::vector<std::string>{H("ssh-link"), H("key-link"),
                                                                 H("home-link"), H("root-link"),
                                                                 H("keys-link"), H("realkeys")}));
}

TEST_F(HomeExpand, SensitiveEntryThatIsASymlinkProtectsItsTarget) {
  MakeDir(H("dotfiles/ssh"));
  MakeDir(H("dotfiles/vim"));
  Symlink("dotfiles/ssh", H(".ssh"));
  HomeExpansion e = ExpandHomeGrant(home_.path(), HomeGrantAccess::kRead, {}, {});
  ASSERT_TRUE(e.ok) << e.error;
  EXPECT_THAT(Granted(e), ElementsAre(H("dotfiles/vim")));
  EXPECT_THAT(Excluded(e), Contains(H("dotfiles/ssh")));
}

TEST_F(HomeExpand, ExtraSensitivePaths) {
  MakeDir(H("state"));
  MakeDir(H("work/secret"));
  MakeDir(H("work/code"));
  HomeExpansion e = ExpandHomeGrant(home_.path(), HomeGrantAccess::kRead, {},
                                    {"~/state", H("work/secret"), "/elsewhere/x"});
  ASSERT_TRUE(e.ok) << e.error;
  EXPECT_THAT(Granted(e), ElementsAre(H("work/code")));
}

TEST_F(HomeExpand, UnlistableHomeGrantsNothing) {
  MakeDir(H("locked/child"));
  ::chmod(H("locked").c_str(), 0);
  std::string locked = H("locked");
  std::string out = testing_home::RunUnprivileged([&locked] {
    HomeExpansion x = ExpandHomeGrant(locked, HomeGrantAccess::kRead, {}, {});
    return (x.ok ? "ok " : "failed ") + std::to_string(x.rules.size()) + " " + x.error;
  });
  EXPECT_THAT(out, ::testing::StartsWith("failed 0 "));
  EXPECT_THAT(out, ::testing::HasSubstr("EACCES"));

  HomeExpansion e = ExpandHomeGrant(H("missing"), HomeGrantAccess::kRead, {}, {});
  EXPECT_FALSE(e.ok);
  EXPECT_THAT(e.rules, IsEmpty());
  EXPECT_THAT(e.error, ::testing::HasSubstr("ENOENT"));
  WriteFile(H("file"));
  e = ExpandHomeGrant(H("file"), HomeGrantAccess::kRead, {}, {});
  EXPECT_FALSE(e.ok);
  EXPECT_THAT(e.rules, IsEmpty());
  EXPECT_THAT(e.error, ::testing::HasSubstr("ENOTDIR"));
}

TEST_F(HomeExpand, SensitiveEntryResolvingToHomeGrantsNothing) {
  Symlink(".", H(".aws"));
  HomeExpansion e = ExpandHomeGrant(home_.path(), HomeGrantAccess::kRead, {}, {});
  EXPECT_FALSE(e.ok);
  EXPECT_THAT(e.rules, IsEmpty());
}

TEST_F(HomeExpand, ParentOfNestedEntryThatCannotBeListedIsLeftOut) {
  // .config is a symlink to a directory that does not exist: a path that is not a directory
  // holds no gh/, so it is granted. A directory that exists but cannot be listed is left out
  // (run unprivileged, as root would list it).
  Symlink("/nonexistent-cordon-dir", H(".config"));
  HomeExpansion e = ExpandHomeGrant(home_.path(), HomeGrantAccess::kRead, {}, {});
  ASSERT_TRUE(e.ok);
  EXPECT_THAT(Granted(e), ElementsAre(H(".config")));
  std::filesystem::remove(H(".config"));
  MakeDir(H(".config/gh"));
  MakeDir(H("projects"));
  ::chmod(H(".config").c_str(), 0);
  std::string home = home_.path();
  std::string out = testing_home::RunUnprivileged([&home] {
    HomeExpansion x = ExpandHomeGrant(home, HomeGrantAccess::kRead, {}, {});
    std::string text = x.ok ? "ok\n" : "failed\n";
    for (const HomeRule& r : x.rules) text += "G " + r.path + "\n";
    for (const std::string& w : x.warnings) text += "W " + w + "\n";
    return text;
  });
  EXPECT_THAT(out, ::testing::StartsWith("ok\nG " + H("projects") + "\nW " + H(".config") + ": "));
  EXPECT_THAT(out, ::testing::HasSubstr("EACCES"));
  EXPECT_THAT(out, Not(::testing::HasSubstr("G " + H(".config"))));
}

TEST_F(HomeExpand, FixtureConfigEndToEnd) {
  testing_home::CopyFixture("ssh_home", home_.path());
  for (const char* d :
       {".cache/ssh", "work-keys", "match keys", "certs", "projects", ".keys-a", ".agent",
        "envkeys", "revoked", "Documents", ".config/gh", ".config/other", ".aws"}) {
    MakeDir(H(d));
  }
  WriteFile(H(".known3"));
  WriteFile(H(".bashrc"));
  SshScanInput in;
  in.home = home_.path();
  in.user = "alice";
  in.config_path = H(".ssh/config");
  std::string home = home_.path();
  in.getenv = [home](const std::string& n) -> std::optional<std::string> {
    if (n == "HOME") return home;
    if (n == "KEYS") return home + "/envkeys";
    return std::nullopt;
  };
  SshConfigPaths ssh = ScanSshConfig(in);
  HomeExpansion e = ExpandHomeGrant(home_.path(), HomeGrantAccess::kRead, ssh, {});
  ASSERT_TRUE(e.ok) << e.error;
  EXPECT_THAT(Granted(e),
              ElementsAre(H(".bashrc"), H(".config/other"), H("Documents"), H("projects")));

  std::vector<std::string> sensitive = SensitiveHomePaths(home_.path(), ssh);
  EXPECT_THAT(sensitive,
              IsSupersetOf(std::vector<std::string>{
                  H(".ssh"), H(".config/gh"), H(".aws"), H(".cordon"), H(".cache/ssh"),
                  H("work-keys/id_work"), H(".keys-a/id_a"), "/etc/ssh/ssh_known_hosts"}));
  EXPECT_THAT(sensitive, Not(Contains(home_.path())));
  EXPECT_TRUE(std::is_sorted(sensitive.begin(), sensitive.end()));
}

TEST_F(HomeExpand, SensitivePathsExpandWideSshPatternsToCurrentMatches) {
  WriteFile(H(".cm-abc"));
  WriteFile(H("notes"));
  SshConfigPaths ssh = SshWith({{home_.path(), H(".cm-*"), "controlpath", "/c", 1}});
  std::vector<std::string> s = SensitiveHomePaths(home_.path(), ssh, {"~/state"});
  EXPECT_THAT(s, Contains(H(".cm-abc")));
  EXPECT_THAT(s, Contains(H("state")));
  EXPECT_THAT(s, Not(Contains(H("notes"))));
  EXPECT_THAT(s, Not(Contains(home_.path())));
}

TEST(SensitiveList, HasTheRequiredEntriesEachWithAReason) {
  std::vector<std::string> paths;
  for (const SensitiveHomeEntry& e : kSensitiveHomeEntries) {
    paths.emplace_back(e.path);
    EXPECT_FALSE(e.reason.empty()) << e.path;
    EXPECT_NE(e.path.front(), '/') << e.path;
  }
  EXPECT_THAT(paths, IsSupersetOf(std::vector<std::string>{
                         ".ssh", ".gnupg", ".aws", ".azure", ".kube", ".docker", ".config/gh",
                         ".netrc", ".pki", ".terraform.d", ".tsh", ".brev"}));
}

TEST(SensitiveList, EveryEntryIsDocumented) {
  Result<std::string> doc =
      ReadFileToString(std::string(CORDON_SOURCE_DIR) + "/docs/home-and-ssh.md");
  ASSERT_TRUE(doc.ok());
  for (const SensitiveHomeEntry& e : kSensitiveHomeEntries) {
    EXPECT_NE(doc->find("| `" + std::string(e.path) + "` |"), std::string::npos) << e.path;
  }
}

}  // namespace
}  // namespace cordon
