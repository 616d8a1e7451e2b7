// End-to-end tests of filesystem policies (issue 3): every carve-out shape with real reads and
// writes, restricted read, missing paths and placeholders (host unchanged even after SIGKILL),
// credentials, $HOME expansion, deny globs, `explain --path` and `grant-read`. Run twice by
// CTest: as root, and as the unprivileged user 65534.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "support/run.h"

namespace cordon::testing {
namespace {

class FsPolicyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ws_ = dir_ / "ws";
    outside_ = dir_ / "outside";
    home_ = dir_ / "home";
    cordon_home_ = dir_ / "cordon-home";
    config_ = dir_ / "config.toml";
    Sh("mkdir -p '" + ws_ + "' '" + outside_ + "' '" + home_ + "' '" + cordon_home_ + "'");
  }

  RunOptions Options() {
    RunOptions o;
    o.env_set = {{"HOME", home_}, {"CORDON_HOME", cordon_home_}};
    return o;
  }

  // Writes `body` as [permissions.p.filesystem] and runs a shell snippet under profile p.
  // `try LABEL CMD...` prints LABEL=ok or LABEL=denied. `tryread LABEL FILE` and `trylist LABEL
  // DIR` print ok only when content comes back: root keeps CAP_DAC_OVERRIDE in the sandbox, so
  // for root a denied file reads as empty and a denied directory lists as empty (the masks are
  // empty) instead of failing with EACCES; either way no content crosses.
  RunResult InProfile(const std::string& body, const std::string& script,
                      RunOptions o = RunOptions{}, std::vector<std::string> extra = {}) {
    WriteFile(config_, "[permissions.p.filesystem]\n" + body);
    if (o.env_set.empty()) o = Options();
    const std::string prelude =
        "try() { l=$1; shift; if \"$@\" >/dev/null 2>&1; then echo $l=ok; else echo $l=denied; "
        "fi; }\n"
        "tryread() { if c=$(cat \"$2\" 2>/dev/null) && [ -n \"$c\" ]; then echo $1=ok; else "
        "echo $1=denied; fi; }\n"
        "trylist() { if c=$(ls -A \"$2\" 2>/dev/null) && [ -n \"$c\" ]; then echo $1=ok; else "
        "echo $1=denied; fi; }\n";
    std::vector<std::string> args = {"exec", "--config", config_, "-P", "p", "-C", ws_};
    args.insert(args.end(), extra.begin(), extra.end());
    args.insert(args.end(), {"--", "/bin/sh", "-c", prelude + script});
    return Cordon(args, o);
  }

  // Everything below `root`, with type and mode: what "the host is unchanged" compares.
  std::string Listing(const std::string& root) {
    return Sh("find '" + root + "' -printf '%P %y %m %s\\n' | sort", "", false);
  }

  TempDir dir_;
  std::string ws_, outside_, home_, cordon_home_, config_;
};

TEST_F(FsPolicyTest, WriteReopenedBelowAReadOnlyCarveOut) {
  Sh("mkdir -p docs/tmp && echo doc > docs/readme", ws_);
  RunResult r = InProfile(
      "\":root\" = \"read\"\n"
      "\":workspace_roots\" = { \".\" = \"write\", \"docs\" = \"read\", \"docs/tmp\" = \"write\" "
      "}\n",
      "try ws sh -c 'echo a > a'; try docs-write sh -c 'echo x > docs/x';"
      "try docs-edit sh -c 'echo y >> docs/readme'; try docs-rm rm docs/readme;"
      "try docs-read cat docs/readme; try tmp-write sh -c 'echo y > docs/tmp/y'");
  EXPECT_EQ(r.out,
            "ws=ok\ndocs-write=denied\ndocs-edit=denied\ndocs-rm=denied\ndocs-read=ok\n"
            "tmp-write=ok\n")
      << r.err;
  EXPECT_EQ(ReadFile(ws_ + "/docs/readme"), "doc\n");
  EXPECT_EQ(ReadFile(ws_ + "/docs/tmp/y"), "y\n");
  EXPECT_FALSE(PathExists(ws_ + "/docs/x"));
}

TEST_F(FsPolicyTest, ReadAndWriteReopenedBelowADeniedDirectory) {
  Sh("mkdir -p secret/pub secret/drop && echo TOPSECRET > secret/key && echo public > "
     "secret/pub/f",
     ws_);
  for (const std::string root : {"\":root\" = \"read\"\n", "\":minimal\" = \"read\"\n"}) {
    RunResult r = InProfile(
        root +
            "\":workspace_roots\" = { \".\" = \"write\", \"secret\" = \"deny\", "
            "\"secret/pub\" = \"read\", \"secret/drop\" = \"write\" }\n",
        "tryread key secret/key; (ls -A secret 2>/dev/null | grep -qx key) && echo list=leaked ||"
        " echo list=hidden; try new touch secret/new;"
        "try pub cat secret/pub/f; try pub-write touch secret/pub/g;"
        "try drop sh -c 'echo d > secret/drop/x'; cat secret/key 2>&1");
    EXPECT_EQ(r.out.substr(0, r.out.rfind("pub")), "key=denied\nlist=hidden\nnew=denied\npub=ok\n")
        << root << r.out << r.err;
    EXPECT_NE(r.out.find("pub-write=denied\ndrop=ok\n"), std::string::npos) << root << r.out;
    EXPECT_EQ(r.out.find("TOPSECRET"), std::string::npos) << r.out;
    EXPECT_TRUE(r.out.find("Permission denied") != std::string::npos ||
                r.out.find("No such file") != std::string::npos)
        << r.out;
    EXPECT_EQ(ReadFile(ws_ + "/secret/drop/x"), "d\n");
    EXPECT_FALSE(PathExists(ws_ + "/secret/new"));
    Sh("rm -f secret/drop/x", ws_);
  }
}

TEST_F(FsPolicyTest, DenialOfASingleFile) {
  Sh("echo API_KEY=hunter2 > .env && echo fine > ok.txt", ws_);
  WriteFile(outside_ + "/secret.txt", "OUTSIDE-SECRET\n");
  RunResult r = InProfile(
      "\":root\" = \"read\"\n\":workspace_roots\" = { \".\" = \"write\", \".env\" = \"deny\" }\n"
      "\"" +
          outside_ + "/secret.txt\" = \"deny\"\n",
      "tryread read .env; try write sh -c 'echo x > .env'; try rm rm .env; try mv mv .env moved;"
      "try other cat ok.txt; tryread outside '" +
          outside_ +
          "/secret.txt';"
          "cat .env '" +
          outside_ + "/secret.txt' 2>&1");
  EXPECT_EQ(r.out.substr(0, r.out.find("outside=") + 15),
            "read=denied\nwrite=denied\nrm=denied\nmv=denied\nother=ok\noutside=denied\n")
      << r.out << r.err;
  EXPECT_EQ(r.out.find("hunter2"), std::string::npos);
  EXPECT_EQ(r.out.find("OUTSIDE-SECRET"), std::string::npos);
  EXPECT_EQ(ReadFile(ws_ + "/.env"), "API_KEY=hunter2\n");
}

TEST_F(FsPolicyTest, WritableRootOutsideTheWorkspace) {
  Sh("mkdir -p '" + outside_ + "/scratch' '" + outside_ + "/other'");
  RunResult r = InProfile("\":root\" = \"read\"\n\":workspace_roots\" = \"write\"\n\"" + outside_ +
                              "/scratch\" = \"write\"\n",
                          "try scratch sh -c \"echo s > '" + outside_ +
                              "/scratch/f'\";"
                              "try other sh -c \"echo o > '" +
                              outside_ + "/other/f'\"");
  EXPECT_EQ(r.out, "scratch=ok\nother=denied\n") << r.err;
  EXPECT_EQ(ReadFile(outside_ + "/scratch/f"), "s\n");
  EXPECT_FALSE(PathExists(outside_ + "/other/f"));
}

TEST_F(FsPolicyTest, RestrictedReadShowsOnlyReadableRootsAndOrdinaryProgramsRun) {
  WriteFile(ws_ + "/hello.c", "#include <stdio.h>\nint main(void){puts(\"compiled\");return 0;}\n");
  RunOptions o = Options();
  o.env_set["TMPDIR"] = ws_;  // the compiler's temporary files
  o.env_set["GIT_AUTHOR_NAME"] = o.env_set["GIT_COMMITTER_NAME"] = "t";
  o.env_set["GIT_AUTHOR_EMAIL"] = o.env_set["GIT_COMMITTER_EMAIL"] = "t@example.invalid";
  RunResult r = InProfile(
      "\":minimal\" = \"read\"\n\":workspace_roots\" = \"write\"\n",
      "echo sh-ok; git init -q . && git add hello.c && git commit -q -m c && git log --format=%s;"
      "/usr/bin/python3 -c 'print(\"py-ok\")'; cc -o hello hello.c && ./hello;"
      "try passwd cat /etc/passwd; try shadow cat /etc/shadow; try home ls '" +
          home_ +
          "';"
          "try outside ls '" +
          outside_ +
          "'; try root-home ls /root; trylist var-log /var/log;"
          "tryread proc /proc/self/status; try devnull sh -c 'echo x > /dev/null';"
          "try tmp-listed sh -c 'ls / | grep -qx tmp'",
      o);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out,
            "sh-ok\nc\npy-ok\ncompiled\npasswd=ok\nshadow=denied\nhome=denied\noutside=denied\n"
            "root-home=denied\nvar-log=denied\nproc=ok\ndevnull=ok\ntmp-listed=denied\n")
      << r.err;
}

TEST_F(FsPolicyTest, ADeniedTmpStillLetsTheSandboxStart) {
  for (const std::string base : {"\":root\" = \"read\"\n", "\":minimal\" = \"read\"\n"}) {
    RunResult r = InProfile(base +
                                "\":workspace_roots\" = \"write\"\n\":slash_tmp\" = "
                                "\"write\"\n\"/tmp\" = \"deny\"\n",
                            "echo started; try tmp-write sh -c 'echo x > /tmp/cordon-fs-$$';"
                            "trylist tmp-list /tmp");
    EXPECT_EQ(r.exit_code, 0) << base << r.err;
    EXPECT_EQ(r.out, "started\ntmp-write=denied\ntmp-list=denied\n") << base << r.err;
  }
}

TEST_F(FsPolicyTest, MissingCarveOutsCannotBeCreatedAndLeaveNoTrace) {
  const std::string before = Listing(ws_);
  RunResult r = InProfile(
      "\":root\" = \"read\"\n\":workspace_roots\" = { \".\" = \"write\", \"docs\" = \"read\", "
      "\"private/keys\" = \"deny\" }\n",
      "try mkdir-docs mkdir docs; try docs-file touch docs/x; try rm-docs rmdir docs;"
      "try mv-docs mv docs d2; try keys rmdir private/keys; try keys-file touch private/keys/k;"
      "try other sh -c 'echo o > other'");
  EXPECT_EQ(r.out,
            "mkdir-docs=denied\ndocs-file=denied\nrm-docs=denied\nmv-docs=denied\nkeys=denied\n"
            "keys-file=denied\nother=ok\n")
      << r.err;
  Sh("rm other", ws_);
  EXPECT_EQ(Listing(ws_), before);
  EXPECT_EQ(Listing(cordon_home_ + "/placeholders").find("-"), std::string::npos);
}

TEST_F(FsPolicyTest, ProtectedNamesCannotBeCreatedButGitInitWorksOutsideARepository) {
  RunOptions o = Options();
  o.env_set["GIT_AUTHOR_NAME"] = o.env_set["GIT_COMMITTER_NAME"] = "t";
  o.env_set["GIT_AUTHOR_EMAIL"] = o.env_set["GIT_COMMITTER_EMAIL"] = "t@example.invalid";
  RunResult r =
      Cordon({"exec", "-C", ws_, "--", "/bin/sh", "-c",
              "for d in .codex .agents .cordon; do mkdir $d/x 2>/dev/null && echo $d=made "
              "|| echo $d=denied; touch $d 2>/dev/null; done; git init -q . && echo "
              "git-init=ok"},
             o);
  EXPECT_EQ(r.out, ".codex=denied\n.agents=denied\n.cordon=denied\ngit-init=ok\n") << r.err;
  EXPECT_TRUE(PathExists(ws_ + "/.git/HEAD"));
  for (const char* n : {".codex", ".agents", ".cordon"}) {
    EXPECT_FALSE(PathExists(ws_ + "/" + n)) << n;
  }
  // Inside a repository, a nested .git cannot be created.
  Sh("mkdir -p sub", ws_);
  r = Cordon({"exec", "-C", ws_ + "/sub", "--", "/bin/sh", "-c",
              "git init -q . 2>/dev/null && echo made || echo denied; mkdir .git/x 2>/dev/null "
              "&& echo made || echo denied"},
             o);
  EXPECT_EQ(r.out, "denied\ndenied\n") << r.err;
  EXPECT_FALSE(PathExists(ws_ + "/sub/.git"));
}

// Two runs in one workspace: the second mounts on the first's placeholders. When the first ends
// it must leave them (removing a mount point detaches it in the other run, whose command could
// then create the name); the last run out removes them.
TEST_F(FsPolicyTest, ConcurrentRunsKeepEachOthersPlaceholders) {
  const std::string before = Listing(ws_);
  std::thread first([&] {
    RunResult r = Cordon({"exec", "-C", ws_, "--", "/bin/sleep", "1"}, Options());
    EXPECT_EQ(r.exit_code, 0) << r.err;
  });
  bool placed = false;
  for (int i = 0; i < 250 && !placed; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    placed = PathExists(ws_ + "/.codex");
  }
  // Starts while the first run lasts; acts after it has ended.
  RunResult r = Cordon({"exec", "-C", ws_, "--", "/bin/sh", "-c",
                        "sleep 2; for d in .codex .agents .cordon; do rmdir $d 2>/dev/null; "
                        "mkdir $d 2>/dev/null; mkdir $d/x 2>/dev/null && echo $d=made || "
                        "echo $d=denied; done"},
                       Options());
  first.join();
  ASSERT_TRUE(placed) << "the first run's placeholders never appeared";
  EXPECT_EQ(r.out, ".codex=denied\n.agents=denied\n.cordon=denied\n") << r.err;
  EXPECT_EQ(Listing(ws_), before);
  EXPECT_EQ(Sh("ls -A '" + cordon_home_ + "/placeholders' 2>/dev/null", "", false), "");
}

// A workspace cordon's user may not write (another owner): no placeholder can be made, and none
// is needed (the command cannot create anything there either). One that is the user's own but
// read-only fails closed: its owner could chmod it.
TEST_F(FsPolicyTest, ReadOnlyWorkspacesNeedNoPlaceholders) {
  if (!RunningUnprivileged()) GTEST_SKIP() << "root can create placeholders anywhere";
  const std::string foreign = dir_ / "foreign";
  Sh("mkdir '" + foreign + "' && chmod 755 '" + foreign + "'", "", /*as_test_user=*/false);
  RunResult r = Cordon({"exec", "-C", foreign, "--", "/bin/sh", "-c",
                        "echo started; mkdir .codex 2>/dev/null && echo made || echo denied"},
                       Options());
  EXPECT_EQ(r.out, "started\ndenied\n") << r.err;
  EXPECT_FALSE(PathExists(foreign + "/.codex"));
  Sh("chmod 555 '" + ws_ + "'");
  r = Cordon({"exec", "-C", ws_, "--", "/bin/true"}, Options());
  EXPECT_EQ(r.exit_code, 125);
  EXPECT_NE(r.err.find("is yours but not writable"), std::string::npos) << r.err;
  Sh("chmod 755 '" + ws_ + "'");
}

TEST_F(FsPolicyTest, HostIsUnchangedAfterCordonIsKilledWithSigkill) {
  const std::string before = Listing(ws_);
  WriteFile(config_,
            "[permissions.p.filesystem]\n\":root\" = \"read\"\n"
            "\":workspace_roots\" = { \".\" = \"write\", \"docs\" = \"read\" }\n");
  std::vector<std::string> argv = {CordonBinary(), "exec", "--config", config_,      "-P", "p",
                                   "-C",           ws_,    "--",       "/bin/sleep", "60"};
  if (RunningUnprivileged()) {
    const std::string id = std::to_string(TestUid());
    argv.insert(argv.begin(),
                {"setpriv", "--reuid=" + id, "--regid=" + id, "--clear-groups", "--"});
  }
  pid_t pid = ::fork();
  if (pid == 0) {
    ::setenv("HOME", home_.c_str(), 1);
    ::setenv("CORDON_HOME", cordon_home_.c_str(), 1);
    std::vector<char*> a;
    for (auto& s : argv) a.push_back(s.data());
    a.push_back(nullptr);
    ::execvp(a[0], a.data());
    ::_exit(127);
  }
  bool placed = false;
  for (int i = 0; i < 200 && !placed; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    placed = PathExists(ws_ + "/docs") && PathExists(ws_ + "/.codex");
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  ASSERT_EQ(::kill(pid, SIGKILL), 0);
  ::waitpid(pid, nullptr, 0);
  ASSERT_TRUE(placed) << "the placeholders never appeared";
  EXPECT_NE(Listing(ws_), before);  // left behind by the killed run...
  // ...and removed by the next start, whatever it runs.
  RunResult r = Cordon({"exec", "-C", outside_, "--", "/bin/true"}, Options());
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(Listing(ws_), before);
}

TEST_F(FsPolicyTest, CredentialsAreUnreadableEvenUnderRootRead) {
  Sh("mkdir -p .ssh .aws .config/gh keys notes && echo SSH-PRIVATE > .ssh/id_ed25519 && "
     "echo AWS-KEY > .aws/credentials && echo GH-TOKEN > .config/gh/hosts.yml && "
     "echo NETRC-PW > .netrc && echo DEPLOY-KEY > keys/deploy && echo note > notes/n && "
     "printf 'Host x\\n  IdentityFile ~/keys/deploy\\n' > .ssh/config && "
     "echo STATE > '" +
         cordon_home_ + "/state'",
     home_);
  RunResult r =
      Cordon({"exec", "-C", ws_, "--", "/bin/sh", "-c",
              "cd \"$HOME\"; for f in .ssh/id_ed25519 .aws/credentials .config/gh/hosts.yml "
              ".netrc keys/deploy '" +
                  cordon_home_ + "/state' notes/n; do cat $f 2>&1; done"},
             Options());
  for (const char* secret :
       {"SSH-PRIVATE", "AWS-KEY", "GH-TOKEN", "NETRC-PW", "DEPLOY-KEY", "STATE"}) {
    EXPECT_EQ(r.out.find(secret), std::string::npos) << secret << "\n" << r.out;
  }
  EXPECT_NE(r.out.find("note\n"), std::string::npos) << r.out;
  // An explicit rule for exactly that path opts out.
  r = InProfile("\":root\" = \"read\"\n\":workspace_roots\" = \"write\"\n\"~/.aws\" = \"read\"\n",
                "cat \"$HOME/.aws/credentials\"; tryread netrc \"$HOME/.netrc\"");
  EXPECT_EQ(r.out, "AWS-KEY\nnetrc=denied\n") << r.err;
}

TEST_F(FsPolicyTest, HomeGrantIsExpandedToItsChildrenMinusCredentials) {
  Sh("mkdir -p .ssh .gnupg notes deploy && echo SSH-PRIVATE > .ssh/id_rsa && echo GPG > "
     ".gnupg/k && echo note > notes/n && echo DEPLOY > deploy/k && echo rc > .bashrc && "
     "printf 'Include extra.conf\\n' > .ssh/config && "
     "printf 'Host *\\n IdentityFile=\"~/deploy/k\"\\n' > .ssh/extra.conf",
     home_);
  RunResult r =
      InProfile("\":minimal\" = \"read\"\n\":workspace_roots\" = \"write\"\n\"~\" = \"read\"\n",
                "ls -A \"$HOME\" | tr '\\n' ' '; echo; cat \"$HOME/notes/n\" \"$HOME/.bashrc\";"
                "tryread ssh \"$HOME/.ssh/id_rsa\"; tryread gpg \"$HOME/.gnupg/k\";"
                "tryread deploy \"$HOME/deploy/k\"; try write touch \"$HOME/notes/x\"");
  EXPECT_EQ(r.out,
            ".bashrc notes \nnote\nrc\nssh=denied\ngpg=denied\ndeploy=denied\nwrite=denied\n")
      << r.err;
}

TEST_F(FsPolicyTest, DenyGlobsHideMatchingFiles) {
  Sh("mkdir -p sub/deeper app/secrets/nested && echo E1 > a.env && echo E2 > sub/deeper/b.env && "
     "echo S1 > app/secrets/nested/k && echo fine > ok.txt",
     ws_);
  RunResult r = InProfile(
      "\":root\" = \"read\"\n\":workspace_roots\" = { \".\" = \"write\", \"**/*.env\" = \"deny\", "
      "\"**/secrets/**\" = \"deny\" }\n",
      "tryread a a.env; tryread b sub/deeper/b.env; tryread s app/secrets/nested/k;"
      "try ok cat ok.txt; try new-env sh -c 'echo n > new.env && cat new.env'");
  // A file created after the sandbox started is not covered (documented limit).
  EXPECT_EQ(r.out, "a=denied\nb=denied\ns=denied\nok=ok\nnew-env=ok\n") << r.err;
  Sh("rm -f new.env", ws_);
  // Globs can only deny.
  r = InProfile("\":workspace_roots\" = { \"**/*.md\" = \"read\" }\n", "true");
  EXPECT_EQ(r.exit_code, 125);
  EXPECT_NE(r.err.find("a glob can only deny"), std::string::npos) << r.err;
}

TEST_F(FsPolicyTest, ReadCarveOutsUnderRootHideTheirContent) {
  Sh("mkdir -p private && echo HIDDEN > private/data && echo visible > pub", outside_);
  RunResult r = InProfile("\":root\" = \"read\"\n\":workspace_roots\" = \"write\"\n\"" + outside_ +
                              "/private\" = \"deny\"\n",
                          "trylist list '" + outside_ + "/private'; tryread read '" + outside_ +
                              "/private/data'; try pub cat '" + outside_ +
                              "/pub';"
                              "cat '" +
                              outside_ + "/private/data' 2>&1");
  EXPECT_EQ(r.out.substr(0, 30), "list=denied\nread=denied\npub=ok") << r.out;
  EXPECT_EQ(r.out.find("HIDDEN"), std::string::npos);
}

TEST_F(FsPolicyTest, ExplainPathNamesTheDecidingRule) {
  Sh("mkdir -p docs", ws_);
  WriteFile(config_,
            "[permissions.p.filesystem]\n\":root\" = \"read\"\n"
            "\":workspace_roots\" = { \".\" = \"write\", \"docs\" = \"read\" }\n"
            "\"/opt\" = \"write\"\n\"/opt/\" = \"deny\"\n");
  RunResult r =
      Cordon({"explain", "--config", config_, "-P", "p", "-C", ws_, "--path", "docs/x"}, Options());
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("decision: readable, not writable"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("read  " + ws_ + "/docs"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("mount layer only"), std::string::npos) << r.out;
  r = Cordon({"explain", "--config", config_, "-P", "p", "-C", ws_, "--path", "/opt/y"}, Options());
  EXPECT_NE(r.out.find("decision: denied"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("lost: write"), std::string::npos) << r.out;
  // What the mount plan adds beyond the rules: a protected name that does not exist yet.
  r = Cordon({"explain", "--config", config_, "-P", "p", "-C", ws_, "--path", ".agents/x"},
             Options());
  EXPECT_NE(r.out.find("read-only after all"), std::string::npos) << r.out;
  // The full explain shows how each entry resolved.
  r = Cordon({"explain", "--config", config_, "-P", "p", "-C", ws_}, Options());
  EXPECT_NE(r.out.find("\"docs\" -> " + ws_ + "/docs"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(":root -> /"), std::string::npos) << r.out;
}

TEST_F(FsPolicyTest, GrantReadAddsAReadableRootAndKeepsTheRestOfTheConfig) {
  Sh("mkdir -p '" + outside_ + "/data' && echo payload > '" + outside_ + "/data/f'");
  const std::string text =
      "# my config\ndefault_permissions = \"p\"\n\n[permissions.p]\ndescription = \"mine\" # why\n"
      "[permissions.p.filesystem]\n\":minimal\" = \"read\"  # programs\n"
      "\":workspace_roots\" = \"write\"\n\n[otel]\n";
  WriteFile(config_, text);
  const std::vector<std::string> read = {"exec", "--config", config_,    "-C",
                                         ws_,    "--",       "/bin/cat", outside_ + "/data/f"};
  EXPECT_NE(Cordon(read, Options()).exit_code, 0);
  RunResult r = Cordon({"grant-read", "--config", config_, outside_ + "/data"}, Options());
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("added " + outside_ + "/data = read to profile p"), std::string::npos)
      << r.out;
  const std::string edited = ReadFile(config_);
  EXPECT_NE(edited.find("# my config\n"), std::string::npos);
  EXPECT_NE(edited.find("\":minimal\" = \"read\"  # programs\n"), std::string::npos);
  EXPECT_NE(edited.find("\":workspace_roots\" = \"write\"\n\"" + outside_ +
                        "/data\" = \"read\"  # added by cordon grant-read\n\n[otel]\n"),
            std::string::npos)
      << edited;
  r = Cordon(read, Options());
  EXPECT_EQ(r.out, "payload\n") << r.err;
  r = Cordon({"grant-read", "--config", config_, outside_ + "/data"}, Options());
  EXPECT_NE(r.out.find("nothing to do"), std::string::npos) << r.out;
  r = Cordon({"grant-read", "--config", config_, "-P", ":workspace", outside_}, Options());
  EXPECT_EQ(r.exit_code, 125);
  EXPECT_NE(r.err.find("reads everything already"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace cordon::testing
