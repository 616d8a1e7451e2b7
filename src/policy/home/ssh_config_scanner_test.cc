// The SSH config scanner over the fixture in testdata/ssh_home (copied into a temporary home so
// that ~ and %d point there): Include chains, globs, a cycle, tokens, quoting, '=', Host and
// Match blocks, malformed lines, unreadable and non-regular files, the depth bound.
#include "policy/home/ssh_config_scanner.h"

#include <gmock/gmock.h>
#include <grp.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <map>

#include "base/sys.h"
#include "policy/home/home_test_util.h"

namespace cordon {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::IsSupersetOf;
using ::testing::Not;
using testing_home::TempDir;

class SshScan : public ::testing::Test {
 protected:
  void SetUp() override { testing_home::CopyFixture("ssh_home", home_.path()); }

  SshScanInput Input() const {
    SshScanInput in;
    in.home = home_.path();
    in.user = "alice";
    in.config_path = home_ / ".ssh/config";
    std::map<std::string, std::string> env = {
        {"HOME", home_.path()}, {"KEYS", home_ / "envkeys"}, {"MY_AGENT", "/run/agent.sock"}};
    in.getenv = [env](const std::string& name) -> std::optional<std::string> {
      auto it = env.find(name);
      if (it == env.end()) return std::nullopt;
      return it->second;
    };
    return in;
  }

  std::string H(const std::string& rel) const { return home_ / rel; }

  static bool AnyWarning(const SshConfigPaths& r, const std::string& needle) {
    return std::any_of(r.warnings.begin(), r.warnings.end(),
                       [&](const std::string& w) { return w.find(needle) != std::string::npos; });
  }

  TempDir home_;
};

TEST_F(SshScan, CollectsEveryDirectiveThroughIncludesHostAndMatchBlocks) {
  SshConfigPaths r = ScanSshConfig(Input());
  EXPECT_THAT(r.Paths(), IsSupersetOf(std::vector<std::string>{
                             H(".ssh/config"),
                             H(".ssh/id_main"),
                             H(".ssh/id_pct_d"),          // %d, '='
                             H(".ssh/my cert-cert.pub"),  // quoted, ' = '
                             H(".ssh/known_hosts"),       // three known-hosts files on a line
                             H("known hosts 2"),
                             H(".known3"),
                             "/etc/ssh/ssh_known_hosts",  // GlobalKnownHostsFile, two files
                             H(".global_known"),
                             H("revoked/keys"),         // ${HOME}
                             H(".cache/ssh"),           // ControlPath with %r %h %p
                             H("work-keys/id_work"),    // inside Host
                             H("match keys/id_alice"),  // inside Match, quoted, %u
                             H("certs/100%.pub"),       // %%
                             H("broken-keys/id  # unterminated quote"),
                             H(".ssh/config.d/10-a.conf"),  // Include glob, relative to ~/.ssh
                             H(".ssh/config.d/20-b.conf"),
                             H(".keys-a/id_a"),               // from an included file
                             H(".ssh/nested/deeper.conf"),    // nested relative Include
                             H(".agent/sock"),                // IdentityAgent path
                             std::string("/run/agent.sock"),  // ForwardAgent $MY_AGENT
                             H("envkeys/id_b"),               // ${KEYS}
                             H(".ssh/cycle_a"),
                             H(".ssh/cycle_b"),
                             H(".cycle-a-key"),  // both files of the cycle are read
                             H(".cycle-b-cert"),
                         }));
  // Skipped values and files that no Include names.
  std::vector<std::string> paths = r.Paths();
  for (const std::string& p : paths) {
    EXPECT_THAT(p, Not(HasSubstr("SSH_AUTH_SOCK")));
    EXPECT_THAT(p, Not(HasSubstr("not-included")));
    EXPECT_THAT(p, Not(HasSubstr("bob")));
    EXPECT_NE(p, H("none"));
    EXPECT_NE(p, H("yes"));
  }
  // The ControlPath keeps its pattern; the Include glob too.
  auto find = [&](const std::string& directive, const std::string& path) {
    return std::find_if(r.refs.begin(), r.refs.end(), [&](const SshPathRef& ref) {
      return ref.directive == directive && ref.path == path;
    });
  };
  auto cp = find("controlpath", H(".cache/ssh"));
  ASSERT_NE(cp, r.refs.end());
  EXPECT_EQ(cp->pattern, H(".cache/ssh/*@*:*"));
  EXPECT_EQ(cp->file, H(".ssh/config"));
  EXPECT_EQ(cp->line, 9);
  auto inc = find("include", H(".ssh/config.d"));
  ASSERT_NE(inc, r.refs.end());
  EXPECT_EQ(inc->pattern, H(".ssh/config.d/*.conf"));
}

TEST_F(SshScan, ProblemsBecomeWarnings) {
  SshConfigPaths r = ScanSshConfig(Input());
  EXPECT_TRUE(AnyWarning(r, "Include cycle")) << ::testing::PrintToString(r.warnings);
  EXPECT_TRUE(AnyWarning(r, "unterminated quote"));
  EXPECT_TRUE(AnyWarning(r, "without an argument"));
  EXPECT_TRUE(AnyWarning(r, "~bob"));
  EXPECT_EQ(r.files_scanned.size(), 6u) << ::testing::PrintToString(r.files_scanned);
}

TEST_F(SshScan, MissingConfigIsNotAnError) {
  SshScanInput in = Input();
  in.config_path = H(".ssh/absent");
  SshConfigPaths r = ScanSshConfig(in);
  EXPECT_TRUE(r.warnings.empty());
  EXPECT_EQ(r.Paths(), std::vector<std::string>{H(".ssh/absent")});
}

TEST_F(SshScan, NonRegularIncludesAreReportedNotRead) {
  // A directory and a FIFO matched by the Include glob: neither is read (a FIFO would block),
  // both are reported, and the other files are still used. Meaningful as root too.
  testing_home::MakeDir(H(".ssh/config.d/30-dir.conf"));
  ASSERT_EQ(::mkfifo(H(".ssh/config.d/40-fifo.conf").c_str(), 0644), 0);
  SshConfigPaths r = ScanSshConfig(Input());
  EXPECT_TRUE(AnyWarning(r, "30-dir.conf: not a regular file"));
  EXPECT_TRUE(AnyWarning(r, "40-fifo.conf: not a regular file"));
  EXPECT_THAT(r.Paths(),
              IsSupersetOf(std::vector<std::string>{H(".keys-a/id_a"), H("envkeys/id_b")}));
}

TEST_F(SshScan, UnreadableMainConfigStillYieldsItsPath) {
  // The config path is a directory: nothing can be read, the scan does not fail, and the
  // config path itself is still listed.
  std::filesystem::remove(H(".ssh/config"));
  testing_home::MakeDir(H(".ssh/config"));
  SshConfigPaths r = ScanSshConfig(Input());
  EXPECT_TRUE(AnyWarning(r, "not a regular file"));
  EXPECT_THAT(r.Paths(), Contains(H(".ssh/config")));
}

// The scan as text, for running it in an unprivileged child.
std::string ScanAsUnprivileged(const SshScanInput& in) {
  return testing_home::RunUnprivileged([&in] {
    SshConfigPaths r = ScanSshConfig(in);
    std::string out;
    for (const auto& w : r.warnings) out += "W " + w + "\n";
    for (const auto& p : r.Paths()) out += "P " + p + "\n";
    return out;
  });
}

TEST_F(SshScan, UnreadableIncludedFileIsAWarningAndTheRestIsUsed) {
  ASSERT_EQ(::chmod(H(".ssh/config.d/10-a.conf").c_str(), 0), 0);
  std::string out = ScanAsUnprivileged(Input());
  EXPECT_THAT(out, HasSubstr("10-a.conf: cannot open: EACCES"));
  // 10-a.conf's own path is still protected; what it would have named is not known.
  EXPECT_THAT(out, HasSubstr("P " + H(".ssh/config.d/10-a.conf") + "\n"));
  EXPECT_THAT(out, Not(HasSubstr(H(".keys-a"))));
  EXPECT_THAT(out, HasSubstr("P " + H("envkeys/id_b") + "\n"));
  EXPECT_THAT(out, HasSubstr("P " + H(".ssh/id_main") + "\n"));
}

TEST_F(SshScan, IncludeDepthIsBounded) {
  // config -> d1 -> d2 -> ... -> d20; each names a key. Depth 16 is read, 17 is not.
  std::string text;
  for (int i = 1; i <= 20; ++i) {
    testing_home::WriteFile(
        H(".ssh/d" + std::to_string(i)),
        "Include d" + std::to_string(i + 1) + "\nIdentityFile ~/key" + std::to_string(i) + "\n");
  }
  testing_home::WriteFile(H(".ssh/config"), "Include d1\n");
  SshConfigPaths r = ScanSshConfig(Input());
  std::vector<std::string> paths = r.Paths();
  EXPECT_THAT(paths, Contains(H("key16")));
  EXPECT_THAT(paths, Not(Contains(H("key17"))));
  EXPECT_THAT(paths, Contains(H(".ssh/d17")));  // named, so protected, though not read
  EXPECT_TRUE(AnyWarning(r, "nested includes"));
}

TEST_F(SshScan, LongFileIsReadUpToTheCap) {
  SshScanInput in = Input();
  in.max_file_bytes = 64;
  testing_home::WriteFile(H(".ssh/config"), "IdentityFile ~/first\n" + std::string(100, '#') +
                                                "\nIdentityFile ~/late\n");
  SshConfigPaths r = ScanSshConfig(in);
  EXPECT_THAT(r.Paths(), Contains(H("first")));
  EXPECT_THAT(r.Paths(), Not(Contains(H("late"))));
  EXPECT_TRUE(AnyWarning(r, "only the beginning"));
}

}  // namespace
}  // namespace cordon
