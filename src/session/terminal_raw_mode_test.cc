// TerminalRawMode on a PTY standing in for the user's terminal: raw while the guard lives,
// restored when it is dropped, and restored from a signal handler in a process killed by SIGTERM.
#include "session/terminal_raw_mode.h"

#include <signal.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>

#include <gtest/gtest.h>

#include "session/pty.h"

namespace cordon {
namespace {

bool SameSettings(const termios& a, const termios& b) {
  return a.c_iflag == b.c_iflag && a.c_oflag == b.c_oflag && a.c_cflag == b.c_cflag &&
         a.c_lflag == b.c_lflag;
}

bool IsRaw(const termios& t) {
  return (t.c_lflag & (ICANON | ECHO | ISIG | IEXTEN)) == 0 && (t.c_iflag & (ICRNL | IXON)) == 0 &&
         (t.c_oflag & OPOST) == 0;
}

TEST(TerminalRawMode, RawWhileHeldAndRestoredWhenDropped) {
  auto pty = OpenPty();
  ASSERT_TRUE(pty.ok());
  const int fd = pty->slave.get();
  termios before{};
  ASSERT_EQ(tcgetattr(fd, &before), 0);
  ASSERT_FALSE(IsRaw(before));
  {
    auto guard = TerminalRawMode::Enter(fd);
    ASSERT_TRUE(guard.ok()) << guard.error().ToString();
    termios now{};
    ASSERT_EQ(tcgetattr(fd, &now), 0);
    EXPECT_TRUE(IsRaw(now));
    auto second = TerminalRawMode::Enter(fd);
    ASSERT_FALSE(second.ok());
    EXPECT_EQ(second.error().err, EBUSY);
    TerminalRawMode moved = std::move(*guard);  // ownership moves; restored once
  }
  termios after{};
  ASSERT_EQ(tcgetattr(fd, &after), 0);
  EXPECT_TRUE(SameSettings(before, after));
  // And it can be entered again.
  auto again = TerminalRawMode::Enter(fd);
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->Restore().ok());
  EXPECT_TRUE(again->Restore().ok());  // idempotent
  ASSERT_EQ(tcgetattr(fd, &after), 0);
  EXPECT_TRUE(SameSettings(before, after));
}

TEST(TerminalRawMode, RestoredBySignalHandlerWhenKilled) {
  auto pty = OpenPty();
  ASSERT_TRUE(pty.ok());
  const int fd = pty->slave.get();
  termios before{};
  ASSERT_EQ(tcgetattr(fd, &before), 0);
  int ready[2];
  ASSERT_EQ(pipe(ready), 0);
  pid_t pid = fork();
  if (pid == 0) {
    struct sigaction sa {};
    sa.sa_handler = [](int) {
      TerminalRawMode::RestoreFromSignalHandler();
      _exit(0);
    };
    sigaction(SIGTERM, &sa, nullptr);
    auto guard = TerminalRawMode::Enter(fd);
    if (!guard.ok()) _exit(1);
    (void)!write(ready[1], "r", 1);
    for (;;) pause();
  }
  close(ready[1]);
  char c;
  ASSERT_EQ(read(ready[0], &c, 1), 1);
  close(ready[0]);
  termios during{};
  ASSERT_EQ(tcgetattr(fd, &during), 0);
  EXPECT_TRUE(IsRaw(during));  // the child's raw mode is the terminal's state
  kill(pid, SIGTERM);
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  termios after{};
  ASSERT_EQ(tcgetattr(fd, &after), 0);
  EXPECT_TRUE(SameSettings(before, after));
}

TEST(TerminalRawMode, NotATerminal) {
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  auto guard = TerminalRawMode::Enter(fds[0]);
  ASSERT_FALSE(guard.ok());
  EXPECT_EQ(guard.error().err, ENOTTY);
  close(fds[0]);
  close(fds[1]);
  // A failed Enter leaves nothing active.
  TerminalRawMode::RestoreFromSignalHandler();
}

}  // namespace
}  // namespace cordon
