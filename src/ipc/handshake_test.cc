// The handshake between a host and a runner in separate processes, and its failure modes.
#include "ipc/handshake.h"

#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <thread>

#include <gtest/gtest.h>

#include "base/sys.h"
#include "ipc/codec.h"
#include "ipc/peer.h"

namespace cordon::ipc {
namespace {

using std::chrono::milliseconds;

// Runs `child` in a forked process with `fd`; returns its pid. The child _exits with the
// function's result.
template <typename F>
pid_t ForkChild(F child) {
  pid_t pid = fork();
  if (pid == 0) _exit(child());
  return pid;
}

int WaitExit(pid_t pid) {
  int status = 0;
  EXPECT_EQ(waitpid(pid, &status, 0), pid);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

TEST(Handshake, RunnerCreatesTheChannelAndHostVerifiesItsPid) {
  // The bootstrap socketpair exists before the fork, as it would before clone().
  auto boot = SysSocketpair(SOCK_STREAM);
  ASSERT_TRUE(boot.ok());
  pid_t runner = ForkChild([&] {
    boot->read.reset();
    auto control = SysSocketpair(SOCK_STREAM);  // made by the runner: SO_PEERCRED names it
    if (!control || !SendFd(boot->write.get(), control->write.get())) return 10;
    control->write.reset();
    auto version =
        RunnerHandshake(control->read.get(), "test-runner", DeadlineAfter(milliseconds(5000)));
    if (!version || *version != 1) return 11;
    auto spawn = ReadMessage(control->read.get(), DeadlineAfter(milliseconds(5000)), 1, 1);
    if (!spawn || !std::holds_alternative<Spawn>(*spawn)) return 12;
    return 0;
  });
  boot->write.reset();
  auto control = ReceiveFd(boot->read.get(), DeadlineAfter(milliseconds(5000)));
  ASSERT_TRUE(control.ok()) << control.error().ToString();
  // The bootstrap socket's peer is this process (the creator), not the runner.
  EXPECT_EQ(VerifyPeerPid(boot->read.get(), runner).error().err, EPERM);
  auto hs = HostHandshake(control->get(), runner, DeadlineAfter(milliseconds(5000)));
  ASSERT_TRUE(hs.ok()) << hs.error().ToString();
  EXPECT_EQ(hs->version, 1);
  EXPECT_EQ(hs->hello.agent, "test-runner");
  EXPECT_EQ(hs->hello.pid, runner);  // no PID namespace here, so the pids agree
  ASSERT_TRUE(WriteMessage(control->get(), Spawn{1, {"true"}, "", {}, false, 1, 1, false},
                           DeadlineAfter(milliseconds(5000)), hs->version)
                  .ok());
  EXPECT_EQ(WaitExit(runner), 0);
}

TEST(Handshake, HostRefusesAPeerThatIsNotTheRunner) {
  auto pair = SysSocketpair(SOCK_STREAM);  // created by this process
  ASSERT_TRUE(pair.ok());
  pid_t other = ForkChild([] { return 0; });
  WaitExit(other);
  auto hs = HostHandshake(pair->read.get(), other, DeadlineAfter(milliseconds(1000)));
  ASSERT_FALSE(hs.ok());
  EXPECT_EQ(hs.error().err, EPERM);
  EXPECT_NE(hs.error().detail.find("expected " + std::to_string(other)), std::string::npos);
}

TEST(Handshake, SilentRunnerTimesOut) {
  auto pair = SysSocketpair(SOCK_STREAM);
  ASSERT_TRUE(pair.ok());
  const auto start = Clock::now();
  auto hs = HostHandshake(pair->read.get(), 0, DeadlineAfter(milliseconds(300)));
  EXPECT_EQ(hs.error().err, ETIMEDOUT);
  EXPECT_LT(Clock::now() - start, milliseconds(2000));
  // And a host that never answers makes the runner time out.
  auto r = RunnerHandshake(pair->write.get(), "x", DeadlineAfter(milliseconds(300)));
  EXPECT_EQ(r.error().err, ETIMEDOUT);
}

TEST(Handshake, NoCommonVersion) {
  auto pair = SysSocketpair(SOCK_STREAM);
  ASSERT_TRUE(pair.ok());
  // A future runner: speaks 5..7 and frames its Hello with version 5.
  ASSERT_TRUE(WriteMessage(pair->write.get(), Hello{5, 7, 1, "future"},
                           DeadlineAfter(milliseconds(1000)), 5)
                  .ok());
  auto hs = HostHandshake(pair->read.get(), 0, DeadlineAfter(milliseconds(1000)));
  ASSERT_FALSE(hs.ok());
  EXPECT_EQ(hs.error().err, EPROTONOSUPPORT);
}

TEST(Handshake, NewerRunnerIsAnsweredWithTheCommonVersion) {
  auto pair = SysSocketpair(SOCK_STREAM);
  ASSERT_TRUE(pair.ok());
  ASSERT_TRUE(
      WriteMessage(pair->write.get(), Hello{1, 9, 1, "newer"}, DeadlineAfter(milliseconds(1000)), 1)
          .ok());
  auto hs = HostHandshake(pair->read.get(), 0, DeadlineAfter(milliseconds(1000)));
  ASSERT_TRUE(hs.ok());
  EXPECT_EQ(hs->version, 1);
  auto ack = ReadMessage(pair->write.get(), DeadlineAfter(milliseconds(1000)));
  ASSERT_TRUE(ack.ok());
  EXPECT_TRUE(*ack == Message(HelloAck{1}));
}

TEST(Handshake, FirstFrameMustBeHello) {
  auto pair = SysSocketpair(SOCK_STREAM);
  ASSERT_TRUE(pair.ok());
  ASSERT_TRUE(
      WriteMessage(pair->write.get(), Exit{1, false, 0}, DeadlineAfter(milliseconds(1000))).ok());
  auto hs = HostHandshake(pair->read.get(), 0, DeadlineAfter(milliseconds(1000)));
  EXPECT_EQ(hs.error().err, EPROTO);
  // Garbage instead of a frame.
  ASSERT_TRUE(WriteAll(pair->write.get(), "GET / HTTP/1.1\r\n\r\n").ok());
  EXPECT_EQ(HostHandshake(pair->read.get(), 0, DeadlineAfter(milliseconds(1000))).error().err,
            EPROTO);
}

}  // namespace
}  // namespace cordon::ipc
