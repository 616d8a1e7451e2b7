// PTYs with real children: the slave as controlling terminal, `stty size` and `tty` inside, and
// SIGWINCH on resize.
#include "session/pty.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>

#include <gtest/gtest.h>

namespace cordon {
namespace {

// Reads the master until `needle` appears, EOF (EIO once the slave side is gone) or timeout.
std::string ReadUntil(int master, const std::string& needle, int timeout_ms = 5000) {
  std::string out;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (out.find(needle) == std::string::npos) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                          deadline - std::chrono::steady_clock::now())
                          .count();
    if (left <= 0) break;
    pollfd p{master, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(left)) <= 0) continue;
    char buf[4096];
    ssize_t n = read(master, buf, sizeof buf);
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

int Reap(pid_t pid) {
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

TEST(Pty, OpensAPairWithCloseOnExec) {
  auto pty = OpenPty(30, 100);
  ASSERT_TRUE(pty.ok()) << pty.error().ToString();
  EXPECT_TRUE(isatty(pty->slave.get()));
  EXPECT_EQ(pty->slave_path.rfind("/dev/pts/", 0), 0u) << pty->slave_path;
  EXPECT_NE(fcntl(pty->master.get(), F_GETFD) & FD_CLOEXEC, 0);
  EXPECT_NE(fcntl(pty->slave.get(), F_GETFD) & FD_CLOEXEC, 0);
  auto size = GetWindowSize(pty->slave.get());
  ASSERT_TRUE(size.ok());
  EXPECT_EQ(size->rows, 30);
  EXPECT_EQ(size->cols, 100);
  // Bytes written on one side come out of the other.
  ASSERT_EQ(write(pty->slave.get(), "ping\n", 5), 5);
  EXPECT_NE(ReadUntil(pty->master.get(), "ping").find("ping"), std::string::npos);
}

TEST(Pty, ChildSeesTheTerminalAndItsSize) {
  auto pty = OpenPty();
  ASSERT_TRUE(pty.ok());
  ASSERT_TRUE(SetWindowSize(pty->master.get(), 37, 121).ok());
  pid_t pid = fork();
  if (pid == 0) {
    if (AttachControllingTerminal(pty->slave.get()) != 0) _exit(100);
    execl("/bin/sh", "sh", "-c", "stty size; tty; test -t 0 && echo stdin-is-a-tty", nullptr);
    _exit(101);
  }
  pty->slave.reset();  // only the child holds the slave now, so EOF follows its exit
  const std::string out = ReadUntil(pty->master.get(), "stdin-is-a-tty");
  EXPECT_EQ(Reap(pid), 0) << out;
  EXPECT_NE(out.find("37 121"), std::string::npos) << out;
  EXPECT_NE(out.find(pty->slave_path), std::string::npos) << out;
  EXPECT_NE(out.find("stdin-is-a-tty"), std::string::npos) << out;
}

TEST(Pty, ResizeSendsSigwinchToTheForegroundGroup) {
  auto pty = OpenPty(24, 80);
  ASSERT_TRUE(pty.ok());
  pid_t pid = fork();
  if (pid == 0) {
    if (AttachControllingTerminal(pty->slave.get()) != 0) _exit(100);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGWINCH);
    sigprocmask(SIG_BLOCK, &set, nullptr);
    (void)!write(1, "ready\n", 6);
    timespec timeout{5, 0};
    if (sigtimedwait(&set, nullptr, &timeout) != SIGWINCH) _exit(102);
    auto size = GetWindowSize(0);
    char line[64];
    int n = std::snprintf(line, sizeof line, "winch %d %d\n", size ? size->rows : -1,
                          size ? size->cols : -1);
    (void)!write(1, line, static_cast<size_t>(n));
    _exit(0);
  }
  pty->slave.reset();
  ASSERT_NE(ReadUntil(pty->master.get(), "ready").find("ready"), std::string::npos);
  ASSERT_TRUE(SetWindowSize(pty->master.get(), 50, 132).ok());
  const std::string out = ReadUntil(pty->master.get(), "winch");
  EXPECT_EQ(Reap(pid), 0) << out;
  EXPECT_NE(out.find("winch 50 132"), std::string::npos) << out;
}

TEST(Pty, SizeCallsOnANonTerminalFail) {
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  EXPECT_EQ(SetWindowSize(fds[0], 1, 1).error().err, ENOTTY);
  EXPECT_EQ(GetWindowSize(fds[0]).error().err, ENOTTY);
  close(fds[0]);
  close(fds[1]);
}

}  // namespace
}  // namespace cordon
