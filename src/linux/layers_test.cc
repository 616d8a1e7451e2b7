// Each layer on its own, in a forked child (the changes are irreversible): Landlock without the
// mount namespace, seccomp without anything else. The escape tests in tests/integration use all
// layers together; these show that each one holds by itself.
#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>

#include "linux/helper_lockdown.h"
#include "linux/landlock.h"
#include "linux/seccomp_filter.h"
#include "linux/syscalls.h"
#include "net/resolver.h"

namespace cordon {
namespace {

namespace fs = std::filesystem;

// Runs `body` in a forked child; the child's exit status is the number of failed checks.
int InChild(const std::function<int()>& body) {
  pid_t pid = ::fork();
  if (pid == 0) ::_exit(body());
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 100 + WTERMSIG(status);
}

int ExpectErrno(long rc, int err, const char* what) {
  if (rc == -1 && errno == err) return 0;
  std::fprintf(stderr, "%s: rc=%ld errno=%s, want %s\n", what, rc, strerrorname_np(errno),
               strerrorname_np(err));
  return 1;
}

TEST(SeccompLayer, EmbeddedProgramEqualsAFreshCompile) {
  auto embedded = CompiledSeccompProgram();
  auto fresh = CompileSeccompProgram();
  ASSERT_TRUE(embedded.ok());
  ASSERT_TRUE(fresh.ok()) << fresh.error().ToString();
  ASSERT_EQ((*embedded)->instructions.size(), fresh->instructions.size());
  EXPECT_EQ(std::memcmp((*embedded)->instructions.data(), fresh->instructions.data(),
                        fresh->instructions.size() * sizeof(sock_filter)),
            0);
}

TEST(SeccompLayer, RefusesTheListedSurfaceAndAllowsOrdinaryCalls) {
  int failures = InChild([] {
    auto program = CompiledSeccompProgram();
    if (!program.ok()) return 50;
    sock_fprog prog = (*program)->fprog();
    if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return 51;
    if (::prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0) != 0) return 52;
    int f = 0;
    f += ExpectErrno(::syscall(SYS_io_uring_setup, 1, nullptr), EPERM, "io_uring_setup");
    f += ExpectErrno(::unshare(CLONE_NEWUSER), EPERM, "unshare(CLONE_NEWUSER)");
    f += ExpectErrno(::syscall(SYS_clone3, nullptr, 0), ENOSYS, "clone3");
    f +=
        ExpectErrno(::syscall(SYS_clone, CLONE_NEWNS | SIGCHLD, 0, 0, 0, 0), EPERM, "clone(NEWNS)");
    f += ExpectErrno(::syscall(SYS_keyctl, 0, 0, 0, 0, 0), EPERM, "keyctl");
    f += ExpectErrno(::syscall(SYS_bpf, 0, nullptr, 0), EPERM, "bpf");
    f += ExpectErrno(::syscall(SYS_userfaultfd, 0), EPERM, "userfaultfd");
    f += ExpectErrno(::syscall(SYS_perf_event_open, nullptr, 0, -1, -1, 0), EPERM,
                     "perf_event_open");
    f += ExpectErrno(::mount("none", "/tmp", "tmpfs", 0, nullptr), EPERM, "mount");
    f += ExpectErrno(::socket(AF_VSOCK, SOCK_STREAM, 0), EAFNOSUPPORT, "socket(AF_VSOCK)");
    f += ExpectErrno(::socket(AF_PACKET, SOCK_RAW, 0), EAFNOSUPPORT, "socket(AF_PACKET)");
    f += ExpectErrno(::socket(1000, SOCK_STREAM, 0), EAFNOSUPPORT, "socket(1000)");
    char c = 'x';
    f += ExpectErrno(::ioctl(0, TIOCSTI, &c), EPERM, "ioctl(TIOCSTI)");
    // High bits set on the request must not dodge the rule.
    f += ExpectErrno(::syscall(SYS_ioctl, 0, 0xffffffff00000000UL | TIOCSTI, &c), EPERM,
                     "ioctl(TIOCSTI | high bits)");
    // Ordinary calls still work: unix sockets, a plain fork (clone without namespace flags).
    int s = ::socket(AF_UNIX, SOCK_STREAM, 0);
    if (s < 0) ++f;
    pid_t pid = ::fork();
    if (pid == 0) ::_exit(0);
    if (pid < 0 || ::waitpid(pid, nullptr, 0) != pid) ++f;
    return f;
  });
  EXPECT_EQ(failures, 0);
}

TEST(LandlockLayer, AloneItConfinesWritesToTheGrantedTrees) {
  if (LandlockAbi() == 0) GTEST_SKIP() << "Landlock is not available on this kernel";
  char tmpl[] = "/var/tmp/cordon-landlock-XXXXXX";
  const std::string root = ::mkdtemp(tmpl);
  fs::create_directories(root + "/writable");
  fs::create_directories(root + "/readonly");
  std::ofstream(root + "/readonly/existing") << "content\n";
  Plan plan;
  plan.landlock = {{"/", false, "test"}, {root + "/writable", true, "test"}};
  plan.landlock_tcp_denied = true;
  int failures = InChild([&] {
    auto ruleset = BuildLandlockRuleset(plan);
    if (!ruleset.ok() || !ruleset->fd.valid()) return 50;
    if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return 51;
    if (sys_landlock_restrict_self(ruleset->fd.get()) != 0) return 52;
    int f = 0;
    int fd = ::open((root + "/writable/new").c_str(), O_CREAT | O_WRONLY, 0644);
    if (fd < 0) ++f;
    f += ExpectErrno(::open((root + "/readonly/new").c_str(), O_CREAT | O_WRONLY, 0644), EACCES,
                     "create outside the writable tree");
    f += ExpectErrno(::open((root + "/readonly/existing").c_str(), O_WRONLY), EACCES,
                     "write an existing file outside");
    f += ExpectErrno(::truncate((root + "/readonly/existing").c_str(), 0), EACCES, "truncate");
    f +=
        ExpectErrno(::rename((root + "/readonly/existing").c_str(), (root + "/writable/x").c_str()),
                    EACCES, "move a file out of the read-only tree");
    if (::open((root + "/readonly/existing").c_str(), O_RDONLY) < 0) ++f;  // reading works
    if (LandlockAbi() >= 4) {
      int s = ::socket(AF_INET, SOCK_STREAM, 0);
      sockaddr_in addr{};
      addr.sin_family = AF_INET;
      addr.sin_port = htons(1);
      addr.sin_addr.s_addr = htonl(0x7f000001);
      f += ExpectErrno(::connect(s, reinterpret_cast<sockaddr*>(&addr), sizeof addr), EACCES,
                       "tcp connect");
    }
    return f;
  });
  EXPECT_EQ(failures, 0);
  fs::remove_all(root);
}

// The network bridge's lockdown (helper_lockdown.h): after it, the process reads only what it
// was given, writes nothing, has no capabilities, no_new_privs and the seccomp filter, and
// (Landlock ABI 6+) cannot signal its parent.
TEST(HelperLockdown, LeavesReadingTheGivenFilesAndNothingElse) {
  const fs::path dir = fs::temp_directory_path() / ("cordon-helper-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::ofstream(dir / "allowed") << "ok";
  std::ofstream(dir / "secret") << "no";
  const int abi = LandlockAbi();
  const int failed = InChild([&] {
    if (Status st = LockDownHelperProcess({(dir / "allowed").string(), "/proc"}); !st) {
      std::fprintf(stderr, "%s\n", st.error().ToString().c_str());
      return 50;
    }
    int bad = 0;
    const int fd = ::open((dir / "allowed").c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) ++bad;
    ::close(fd);
    if (abi > 0) {
      bad += ExpectErrno(::open((dir / "secret").c_str(), O_RDONLY | O_CLOEXEC), EACCES, "read");
      bad += ExpectErrno(::open((dir / "new").c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600),
                         EACCES, "create");
      bad += ExpectErrno(::open("/etc/passwd", O_RDONLY | O_CLOEXEC), EACCES, "read /etc");
    }
    if (abi >= 6) bad += ExpectErrno(::kill(::getppid(), 0), EPERM, "signal the parent");
    bad += ExpectErrno(::unshare(CLONE_NEWUSER), EPERM, "unshare (seccomp)");
    std::ifstream status("/proc/self/status");
    std::string line, want_nnp = "NoNewPrivs:\t1", want_seccomp = "Seccomp:\t2";
    bool nnp = false, seccomp = false, caps_empty = true;
    while (std::getline(status, line)) {
      nnp = nnp || line == want_nnp;
      seccomp = seccomp || line == want_seccomp;
      if (line.starts_with("CapEff:") || line.starts_with("CapPrm:")) {
        caps_empty = caps_empty && line.ends_with("0000000000000000");
      }
    }
    if (!nnp || !seccomp || !caps_empty) {
      std::fprintf(stderr, "status: nnp %d seccomp %d caps_empty %d\n", nnp, seccomp, caps_empty);
      ++bad;
    }
    return bad;
  });
  EXPECT_EQ(failed, 0);
  EXPECT_FALSE(fs::exists(dir / "new"));
  fs::remove_all(dir);
}

// With the files the bridge is given (net/resolver.h), name resolution still works: "localhost"
// through nsswitch.conf and /etc/hosts (no DNS query leaves the machine).
TEST(HelperLockdown, NameResolutionStillWorksWithTheResolverFiles) {
  const int failed = InChild([] {
    if (!LockDownHelperProcess(SystemResolverFiles()).ok()) return 50;
    addrinfo hints{};
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* found = nullptr;
    const int rc = ::getaddrinfo("localhost", "80", &hints, &found);
    if (rc != 0) {
      std::fprintf(stderr, "getaddrinfo: %s\n", gai_strerror(rc));
      return 1;
    }
    int bad = 1;
    for (addrinfo* a = found; a != nullptr; a = a->ai_next) {
      if (a->ai_family == AF_INET &&
          reinterpret_cast<sockaddr_in*>(a->ai_addr)->sin_addr.s_addr == htonl(INADDR_LOOPBACK)) {
        bad = 0;
      }
      if (a->ai_family == AF_INET6 &&
          IN6_IS_ADDR_LOOPBACK(&reinterpret_cast<sockaddr_in6*>(a->ai_addr)->sin6_addr)) {
        bad = 0;
      }
    }
    ::freeaddrinfo(found);
    return bad;
  });
  EXPECT_EQ(failed, 0);
}

}  // namespace
}  // namespace cordon
