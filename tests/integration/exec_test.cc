// End-to-end tests of `cordon exec` on the built-in :workspace profile: real commands, real
// files, real sockets. Run twice by CTest: as root, and as an unprivileged user
// (CORDON_TEST_UID=65534).
#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pty.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "support/run.h"

namespace cordon::testing {
namespace {

class ExecTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ws_ = dir_ / "ws";
    outside_ = dir_ / "outside";
    Sh("mkdir -p '" + ws_ + "' '" + outside_ + "'");
  }
  // Runs a shell snippet in the sandbox with the workspace as the working directory.
  // `try LABEL CMD...` prints LABEL=ok or LABEL=denied, whatever status the command fails with.
  RunResult InSandbox(const std::string& script, RunOptions o = {}) {
    const std::string prelude =
        "try() { l=$1; shift; if \"$@\" 2>/dev/null; then echo $l=ok; else echo $l=denied; fi; }\n";
    return Cordon({"exec", "-C", ws_, "--", "/bin/sh", "-c", prelude + script}, o);
  }
  TempDir dir_;
  std::string ws_;
  std::string outside_;
};

TEST_F(ExecTest, WritesInsideTheWorkspaceSucceed) {
  RunResult r = InSandbox("echo hello > made-inside && mkdir -p a/b && echo x > a/b/c");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(ReadFile(ws_ + "/made-inside"), "hello\n");
  EXPECT_EQ(ReadFile(ws_ + "/a/b/c"), "x\n");
}

TEST_F(ExecTest, WritesOutsideTheWritableRootsFail) {
  RunResult r = InSandbox("try a sh -c \"echo x > '" + outside_ + "/f'\"; try b touch /etc/cordon-x;"
                          "try c mkdir '" + outside_ + "/d'; echo x > '" + outside_ + "/f'");
  EXPECT_EQ(r.out, "a=denied\nb=denied\nc=denied\n") << r.err;
  EXPECT_NE(r.err.find("Read-only file system"), std::string::npos) << r.err;
  EXPECT_FALSE(PathExists(outside_ + "/f"));
  EXPECT_FALSE(PathExists(outside_ + "/d"));
  EXPECT_FALSE(PathExists("/etc/cordon-x"));
}

TEST_F(ExecTest, TmpIsWritable) {
  const std::string name = "/tmp/cordon-exec-test-" + std::to_string(::getpid());
  RunResult r = InSandbox("echo t > " + name);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(ReadFile(name), "t\n");
  ::unlink(name.c_str());
}

TEST_F(ExecTest, GitDirectoryStaysReadOnly) {
  Sh("git init -q . && git commit -q --allow-empty -m init", ws_);
  const std::string config_before = ReadFile(ws_ + "/.git/config");
  RunResult r = InSandbox(
      "try a sh -c \"echo '[evil]' >> .git/config\";"
      "try b touch .git/hooks/x;"
      "try c mv .git .git-moved;"
      "try d rm -rf .git;"
      "mkdir -p /tmp/cordon-fake-git-$$; try e mv -T /tmp/cordon-fake-git-$$ .git;"
      "try f ln -sfn /tmp .git");
  EXPECT_EQ(r.out, "a=denied\nb=denied\nc=denied\nd=denied\ne=denied\nf=denied\n") << r.err;
  EXPECT_EQ(ReadFile(ws_ + "/.git/config"), config_before);
  EXPECT_FALSE(PathExists(ws_ + "/.git/hooks/x"));
  EXPECT_TRUE(PathExists(ws_ + "/.git/HEAD"));
  EXPECT_FALSE(PathExists(ws_ + "/.git-moved"));
}

TEST_F(ExecTest, OtherProtectedNamesStayReadOnly) {
  Sh("mkdir .codex .agents .cordon", ws_);
  RunResult r = InSandbox("for d in .codex .agents .cordon; do try $d touch $d/x; done");
  EXPECT_EQ(r.out, ".codex=denied\n.agents=denied\n.cordon=denied\n") << r.err;
}

TEST_F(ExecTest, SymlinkPointingOutsideCannotBeWrittenThrough) {
  Sh("ln -s '" + outside_ + "' link && ln -s '" + outside_ + "/file' filelink", ws_);
  RunResult r = InSandbox("try a sh -c 'echo x > link/new'; try b sh -c 'echo y > filelink'");
  EXPECT_EQ(r.out, "a=denied\nb=denied\n") << r.err;
  EXPECT_FALSE(PathExists(outside_ + "/new"));
  EXPECT_FALSE(PathExists(outside_ + "/file"));
}

TEST_F(ExecTest, ProcShowsOnlyTheSandboxsProcesses) {
  RunResult r = InSandbox("ls /proc | grep -c '^[0-9]'; echo $$; cat /proc/1/cmdline | tr '\\0' ' '");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // init (1), the shell (2), ls and grep: nothing of the host's.
  const int count = std::stoi(r.out.substr(0, r.out.find('\n')));
  EXPECT_GE(count, 2);
  EXPECT_LE(count, 5);
  EXPECT_NE(r.out.find("\n2\n"), std::string::npos) << r.out;
}

TEST_F(ExecTest, NoCapabilitiesAndNoNewPrivs) {
  RunResult r = InSandbox("grep -E '^(CapEff|CapPrm|CapBnd|CapAmb|NoNewPrivs|Seccomp):' /proc/self/status");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("NoNewPrivs:\t1"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Seccomp:\t2"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("CapAmb:\t0000000000000000"), std::string::npos) << r.out;
  if (RunningUnprivileged()) {
    EXPECT_NE(r.out.find("CapEff:\t0000000000000000"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("CapBnd:\t0000000000000000"), std::string::npos) << r.out;
  } else {
    // Root keeps exactly CHOWN, DAC_OVERRIDE, DAC_READ_SEARCH, FOWNER, FSETID (bits 0-4), and
    // only inside its user namespace.
    EXPECT_NE(r.out.find("CapEff:\t000000000000001f"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("CapBnd:\t000000000000001f"), std::string::npos) << r.out;
  }
}

TEST_F(ExecTest, RootCanStillWriteFilesOwnedByAnotherUidInTheWorkspace) {
  if (RunningUnprivileged()) GTEST_SKIP() << "root-only behaviour";
  WriteFile(ws_ + "/owned", "before\n");
  ASSERT_EQ(::chown((ws_ + "/owned").c_str(), 12345, 12345), 0);
  ASSERT_EQ(::chmod((ws_ + "/owned").c_str(), 0644), 0);
  RunResult r = InSandbox("echo after > owned && stat -c %u owned && chown 23456 owned && stat -c %u owned");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "12345\n23456\n");
  EXPECT_EQ(ReadFile(ws_ + "/owned"), "after\n");
}

TEST_F(ExecTest, RootHasNoPowerOverTheHost) {
  if (RunningUnprivileged()) GTEST_SKIP() << "root-only behaviour";
  // A disk device node of the host, if there is one, to try to read.
  std::string disk = "/dev/vda";
  for (const char* d : {"/dev/vda", "/dev/sda", "/dev/nvme0n1", "/dev/xvda"}) {
    if (PathExists(d)) disk = d;
  }
  // A host process to try to signal, and a host IPC object to try to see.
  pid_t host = ::fork();
  if (host == 0) {
    ::execl("/bin/sleep", "sleep", "30", nullptr);
    ::_exit(127);
  }
  const std::string queue = Sh("ipcmk -Q | grep -o '[0-9]*$'", "", false);
  RunResult r = InSandbox(
      "try sysctl sh -c 'echo cordon > /proc/sys/kernel/domainname';"
      "try hostname hostname cordon-test-name;"
      "try disk head -c1 " + disk + ";"
      "try mknod mknod /tmp/cordon-node-$$ b 254 0;"
      "try kill-host kill -0 " + std::to_string(host) + ";"
      "try host-ipc sh -c 'ipcs -q | grep -q \" " + queue.substr(0, queue.find('\n')) + " \"';"
      "try mount mount -t tmpfs none /tmp;"
      "try module sh -c 'echo > /proc/sys/kernel/modprobe';");
  EXPECT_EQ(r.out,
            "sysctl=denied\nhostname=denied\ndisk=denied\nmknod=denied\nkill-host=denied\n"
            "host-ipc=denied\nmount=denied\nmodule=denied\n")
      << r.err;
  ::kill(host, SIGKILL);
  ::waitpid(host, nullptr, 0);
  Sh("ipcrm -q " + queue.substr(0, queue.find('\n')), "", false);
}

TEST_F(ExecTest, TiocstiOnAnInheritedTerminalFails) {
  int master = -1, slave = -1;
  ASSERT_EQ(::openpty(&master, &slave, nullptr, nullptr, nullptr), 0);
  RunOptions o;
  o.stdin_fd = slave;
  const std::string py =
      "import fcntl, termios, errno\n"
      "try:\n"
      "    fcntl.ioctl(0, termios.TIOCSTI, b'x')\n"
      "    print('injected')\n"
      "except OSError as e:\n"
      "    print(errno.errorcode[e.errno])\n";
  RunResult r = Cordon({"exec", "-C", ws_, "--", "/usr/bin/python3", "-c", py}, o);
  ::close(slave);
  ::close(master);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "EPERM\n") << r.err;
}

TEST_F(ExecTest, TcpToTheHostsLoopbackFails) {
  int server = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(server, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(server, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(server, 8), 0);
  socklen_t len = sizeof addr;
  ::getsockname(server, reinterpret_cast<sockaddr*>(&addr), &len);
  const std::string port = std::to_string(ntohs(addr.sin_port));
  const std::string py =
      "import socket, errno\n"
      "s = socket.socket()\n"
      "s.settimeout(3)\n"
      "try:\n"
      "    s.connect(('127.0.0.1', " + port + "))\n"
      "    print('connected')\n"
      "except OSError as e:\n"
      "    print('refused' if e.errno else 'timeout')\n";
  RunResult r = Cordon({"exec", "-C", ws_, "--", "/usr/bin/python3", "-c", py});
  EXPECT_EQ(r.out, "refused\n") << r.err;
  // Nothing reached the server.
  ::fcntl(server, F_SETFL, O_NONBLOCK);
  EXPECT_LT(::accept(server, nullptr, nullptr), 0);
  ::close(server);
}

TEST_F(ExecTest, ExitCodesAndSignalsPropagate) {
  EXPECT_EQ(InSandbox("exit 0").exit_code, 0);
  EXPECT_EQ(InSandbox("exit 42").exit_code, 42);
  EXPECT_EQ(InSandbox("kill -TERM $$").exit_code, 128 + SIGTERM);
  EXPECT_EQ(InSandbox("kill -KILL $$").exit_code, 128 + SIGKILL);
}

TEST_F(ExecTest, IgnoredSignalsStayIgnoredAsWithoutCordon) {
  // nohup: SIGHUP ignored when cordon starts stays ignored for the command.
  RunResult r = Cordon({"exec", "-C", ws_, "--", "/bin/sh", "-c",
                        "grep SigIgn /proc/self/status"});
  RunResult nohup = cordon::testing::Run({"/usr/bin/nohup", CordonBinary(), "exec", "-C", ws_, "--", "/bin/sh", "-c",
                         "grep SigIgn /proc/self/status >&2"});
  const unsigned long without = std::stoul(r.out.substr(r.out.find(':') + 1), nullptr, 16);
  const unsigned long with = std::stoul(nohup.err.substr(nohup.err.find("SigIgn:") + 7), nullptr, 16);
  EXPECT_EQ(without & (1UL << (SIGHUP - 1)), 0UL) << r.out;
  EXPECT_NE(with & (1UL << (SIGHUP - 1)), 0UL) << nohup.err;
}

TEST_F(ExecTest, CommandNotFoundAndNotExecutable) {
  RunResult r = Cordon({"exec", "-C", ws_, "--", "cordon-no-such-command"});
  EXPECT_EQ(r.exit_code, 127);
  EXPECT_NE(r.err.find("cannot execute cordon-no-such-command: ENOENT"), std::string::npos) << r.err;
  WriteFile(ws_ + "/not-exec", "#!/bin/sh\n");
  r = Cordon({"exec", "-C", ws_, "--", ws_ + "/not-exec"});
  EXPECT_EQ(r.exit_code, 126);
  EXPECT_NE(r.err.find("EACCES"), std::string::npos) << r.err;
  // A PATH directory the command may not search hides nothing: still "not found", and a command
  // further down PATH, or one that exists but is not executable, is told apart.
  ASSERT_EQ(::mkdir((ws_ + "/locked").c_str(), 0755), 0);
  ChownToTestUser(ws_ + "/locked");
  ASSERT_EQ(::chmod((ws_ + "/locked").c_str(), 0), 0);
  RunOptions locked_path;
  locked_path.env_set["PATH"] = ws_ + "/locked:" + ws_ + ":/usr/bin:/bin";
  r = Cordon({"exec", "-C", ws_, "--", "cordon-no-such-command"}, locked_path);
  EXPECT_EQ(r.exit_code, 127) << r.err;
  EXPECT_NE(r.err.find("cannot execute cordon-no-such-command: ENOENT"), std::string::npos) << r.err;
  r = Cordon({"exec", "-C", ws_, "--", "not-exec"}, locked_path);
  EXPECT_EQ(r.exit_code, 126) << r.err;
  r = Cordon({"exec", "-C", ws_, "--", "true"}, locked_path);
  EXPECT_EQ(r.exit_code, 0) << r.err;
}

TEST_F(ExecTest, ArgvIsPassedExactly) {
  RunResult r = Cordon({"exec", "-C", ws_, "--", "/usr/bin/printf", "[%s]", "a b", "", "-c",
                        "--profile", "new\nline", "--"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "[a b][][-c][--profile][new\nline][--]");
  // Without `--`, the command starts at the first non-option.
  r = Cordon({"exec", "-C", ws_, "/usr/bin/printf", "[%s]", "-C", "x"});
  EXPECT_EQ(r.out, "[-C][x]") << r.err;
}

TEST_F(ExecTest, WorkingDirectoryIsTheWorkspaceOrCd) {
  Sh("mkdir -p sub/dir", ws_);
  RunResult r = Cordon({"exec", "-C", ws_, "--", "/bin/pwd"});
  EXPECT_EQ(r.out, ws_ + "\n");
  r = Cordon({"exec", "-C", ws_, "--cd", "sub/dir", "--", "/bin/pwd"});
  EXPECT_EQ(r.out, ws_ + "/sub/dir\n") << r.err;
  r = Cordon({"exec", "-C", ws_, "--cd", "/etc", "--", "/bin/pwd"});
  EXPECT_EQ(r.exit_code, 125);
  EXPECT_NE(r.err.find("must be inside the workspace"), std::string::npos) << r.err;
  // The default workspace is the current directory.
  RunOptions o;
  o.cwd = ws_;
  r = Cordon({"exec", "--", "/bin/pwd"}, o);
  EXPECT_EQ(r.out, ws_ + "\n") << r.err;
}

TEST_F(ExecTest, EnvironmentIsInheritedExceptTheScrubbedList) {
  RunOptions o;
  o.env_set = {{"CORDON_TEST_KEEP", "kept value"}, {"SSH_AUTH_SOCK", "/tmp/agent.sock"},
               {"DISPLAY", ":0"}, {"DBUS_SESSION_BUS_ADDRESS", "unix:path=/run/bus"}};
  RunResult r = InSandbox("echo \"keep=$CORDON_TEST_KEEP ssh=${SSH_AUTH_SOCK-unset} "
                          "display=${DISPLAY-unset} dbus=${DBUS_SESSION_BUS_ADDRESS-unset} "
                          "sandbox=$CORDON_SANDBOX network=$CORDON_SANDBOX_NETWORK\"", o);
  EXPECT_EQ(r.out,
            "keep=kept value ssh=unset display=unset dbus=unset sandbox=1 network=none\n");
}

TEST_F(ExecTest, StdioIsPassedThrough) {
  RunOptions o;
  o.stdin_data = "line one\nline two\n";
  RunResult r = InSandbox("cat; echo to-stderr >&2; echo to-stdout-by-name > /dev/stdout", o);
  EXPECT_EQ(r.out, "line one\nline two\nto-stdout-by-name\n") << r.err;
  EXPECT_EQ(r.err, "to-stderr\n");
}

TEST_F(ExecTest, NoFileDescriptorOfCordonsReachesTheCommand) {
  // Hand cordon an extra descriptor (no close-on-exec): the command must not get it.
  int fd = ::open("/dev/null", O_RDONLY);
  ASSERT_GE(fd, 3);
  RunResult r = InSandbox("ls /proc/self/fd | sort -n | tr '\\n' ' '");
  ::close(fd);
  // 0 1 2, plus the fd ls itself uses to read the directory.
  EXPECT_EQ(r.out, "0 1 2 3 ") << r.err;
}

bool ProcessWithArgExists(const std::string& marker) {
  DIR* d = ::opendir("/proc");
  if (d == nullptr) return false;
  bool found = false;
  while (dirent* e = ::readdir(d)) {
    if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
    std::string cmdline = ReadFile(std::string("/proc/") + e->d_name + "/cmdline");
    if (cmdline.find(marker) != std::string::npos && cmdline.find("cordon") == std::string::npos) {
      found = true;
    }
  }
  ::closedir(d);
  return found;
}

TEST_F(ExecTest, KillingCordonWithSigkillLeavesNoSandboxedProcess) {
  const std::string marker = "orphan-marker-" + std::to_string(::getpid());
  // A process tree: a shell, a background sleeper that detaches (setsid), and a foreground one.
  const std::string script = "setsid sh -c 'sleep 300' " + marker + "-a & sh -c 'sleep 300' " +
                             marker + "-b";
  std::vector<std::string> argv = {CordonBinary(), "exec", "-C", ws_, "--", "/bin/sh", "-c",
                                   script};
  if (RunningUnprivileged()) {
    const std::string id = std::to_string(TestUid());
    argv.insert(argv.begin(), {"setpriv", "--reuid=" + id, "--regid=" + id, "--clear-groups", "--"});
  }
  pid_t pid = ::fork();
  if (pid == 0) {
    std::vector<char*> a;
    for (auto& s : argv) a.push_back(s.data());
    a.push_back(nullptr);
    ::execvp(a[0], a.data());
    ::_exit(127);
  }
  // Wait until both sleepers run.
  bool started = false;
  for (int i = 0; i < 100 && !started; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    started = ProcessWithArgExists(marker + "-a") && ProcessWithArgExists(marker + "-b");
  }
  // setpriv execs cordon, so `pid` is cordon itself.
  if (!started) ::kill(pid, SIGKILL);
  ASSERT_TRUE(started);
  ASSERT_EQ(::kill(pid, SIGKILL), 0);
  int status;
  ::waitpid(pid, &status, 0);
  bool gone = false;
  for (int i = 0; i < 100 && !gone; ++i) {
    gone = !ProcessWithArgExists(marker);
    if (!gone) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_TRUE(gone) << "a sandboxed process outlived cordon";
}

TEST_F(ExecTest, CommandExitKillsItsBackgroundProcesses) {
  const std::string marker = "bg-marker-" + std::to_string(::getpid());
  // The background process must really have run: it leaves a file behind before sleeping.
  RunResult r = InSandbox("(setsid sh -c 'touch bg-ran; sleep 300' " + marker +
                          " &) ; while [ ! -e bg-ran ]; do sleep 0.01; done; echo started");
  EXPECT_EQ(r.out, "started\n");
  bool gone = false;
  for (int i = 0; i < 100 && !gone; ++i) {
    gone = !ProcessWithArgExists(marker);
    if (!gone) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_TRUE(gone);
}

TEST_F(ExecTest, GitWorksInARepositoryAndALinkedWorktree) {
  Sh("git init -q -b main . && echo a > a && git add a && git commit -q -m first && "
     "echo b > b && git worktree add -q ../wt", ws_);
  const std::string wt = dir_ / "wt";
  for (const std::string& dir : {ws_, wt}) {
    const std::string script = "git status --porcelain=v1 --branch && git log --format=%s";
    const std::string outside = Sh(script, dir);
    RunOptions o;
    o.env_set = {{"HOME", dir}};
    RunResult r = Cordon({"exec", "-C", dir, "--", "/bin/sh", "-c", script}, o);
    EXPECT_EQ(r.exit_code, 0) << dir << ": " << r.err;
    EXPECT_EQ(r.out, outside) << dir;
  }
  // The worktree's .git is a file; both it and the git directory it names stay read-only.
  RunResult r = Cordon({"exec", "-C", wt, "--", "/bin/sh", "-c",
                        "(echo x >> .git) 2>/dev/null || echo a=denied;"
                        "(echo x >> \"$(git rev-parse --git-dir)/HEAD\") 2>/dev/null || echo b=denied;"
                        "git commit -q --allow-empty -m nope 2>/dev/null || echo c=denied"});
  EXPECT_EQ(r.out, "a=denied\nb=denied\nc=denied\n") << r.err;
}

TEST_F(ExecTest, BadInputIsRefusedWithAClearMessageAndNothingRuns) {
  const std::string marker = ws_ + "/ran";
  struct Case {
    std::vector<std::string> args;
    std::string message;
  };
  const std::string cfg = dir_ / "bad.toml";
  WriteFile(cfg, "[permissions.x]\nfilesystem = { \"/a\" = \"read\" }\nbogus = 1\n");
  const std::string malformed = dir_ / "malformed.toml";
  WriteFile(malformed, "default_permissions = \n");
  const std::vector<Case> cases = {
      {{"exec", "-C", ws_}, "nothing to run"},
      {{"exec", "-C", ws_ + "/missing", "--", "touch", marker}, "does not exist"},
      {{"exec", "-C", ws_, "--writable-root", "relative", "--", "touch", marker},
       "must be an absolute path"},
      {{"exec", "-C", ws_, "--config", cfg, "--", "touch", marker},
       "bad.toml:3: unknown key 'bogus'"},
      {{"exec", "-C", ws_, "--config", malformed, "--", "touch", marker}, "malformed.toml:1"},
      {{"exec", "-C", ws_, "--config", dir_ / "missing.toml", "--", "touch", marker}, "ENOENT"},
      {{"exec", "-C", ws_, "-P", "nope", "--", "touch", marker}, "unknown profile 'nope'"},
      {{"exec", "-C", ws_, "-c", "sandbox_workspace_write.bogus=1", "--", "touch", marker},
       "unknown key 'sandbox_workspace_write.bogus'"},
      {{"exec", "-C", ws_, "--no-such-flag", "--", "touch", marker}, "no-such-flag"},
  };
  for (const auto& c : cases) {
    RunResult r = Cordon(c.args);
    EXPECT_EQ(r.exit_code, 125) << c.message << "\n" << r.err;
    EXPECT_NE(r.err.find(c.message), std::string::npos) << r.err;
    EXPECT_FALSE(PathExists(marker));
  }
}

TEST_F(ExecTest, ReadOnlyProfileWritesNothing) {
  RunResult r = Cordon({"exec", "-C", ws_, "-P", ":read-only", "--", "/bin/sh", "-c",
                        "cat /etc/hostname >/dev/null && echo read-ok; touch x; echo rc=$?"});
  EXPECT_EQ(r.out, "read-ok\nrc=1\n") << r.err;
  EXPECT_FALSE(PathExists(ws_ + "/x"));
}

TEST_F(ExecTest, ExtraWritableRootAndSlashTmpExclusion) {
  RunResult r = Cordon({"exec", "-C", ws_, "--writable-root", outside_, "--", "/bin/sh", "-c",
                        "echo x > '" + outside_ + "/f' && echo ok"});
  EXPECT_EQ(r.out, "ok\n") << r.err;
  const std::string name = "/tmp/cordon-excluded-" + std::to_string(::getpid());
  r = Cordon({"exec", "-C", ws_, "-c", "sandbox_workspace_write.exclude_slash_tmp=true", "--",
              "/bin/sh", "-c", "touch " + name + "; echo rc=$?"});
  EXPECT_EQ(r.out, "rc=1\n") << r.err;
  EXPECT_FALSE(PathExists(name));
}

}  // namespace
}  // namespace cordon::testing
