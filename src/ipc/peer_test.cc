// SO_PEERCRED and descriptor passing between real processes.
#include "ipc/peer.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

#include <gtest/gtest.h>

#include "base/sys.h"

namespace cordon::ipc {
namespace {

using std::chrono::milliseconds;

TEST(Peer, SocketpairPeerIsItsCreatorEvenAfterFork) {
  auto pair = SysSocketpair(SOCK_STREAM);
  ASSERT_TRUE(pair.ok());
  pid_t child = fork();
  if (child == 0) {
    pause();
    _exit(0);
  }
  auto cred = GetPeerCredentials(pair->read.get());
  ASSERT_TRUE(cred.ok());
  EXPECT_EQ(cred->pid, getpid());
  EXPECT_EQ(cred->uid, getuid());
  EXPECT_TRUE(VerifyPeerPid(pair->read.get(), getpid()).ok());
  EXPECT_EQ(VerifyPeerPid(pair->read.get(), child).error().err, EPERM);
  EXPECT_EQ(VerifyPeerPid(pair->read.get(), 0).error().err, EPERM);
  kill(child, SIGKILL);
  waitpid(child, nullptr, 0);
}

TEST(Peer, PassedSocketNamesTheProcessThatMadeIt) {
  auto boot = SysSocketpair(SOCK_STREAM);
  ASSERT_TRUE(boot.ok());
  pid_t child = fork();
  if (child == 0) {
    auto mine = SysSocketpair(SOCK_STREAM);
    if (!mine || !SendFd(boot->write.get(), mine->write.get())) _exit(1);
    char c;
    (void)!read(mine->read.get(), &c, 1);  // wait until the parent is done
    _exit(0);
  }
  auto fd = ReceiveFd(boot->read.get(), DeadlineAfter(milliseconds(5000)));
  ASSERT_TRUE(fd.ok()) << fd.error().ToString();
  EXPECT_TRUE(VerifyPeerPid(fd->get(), child).ok());
  EXPECT_NE(fcntl(fd->get(), F_GETFD) & FD_CLOEXEC, 0);
  ASSERT_EQ(write(fd->get(), "x", 1), 1);
  int status = 0;
  waitpid(child, &status, 0);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

TEST(Peer, ReceiveFdErrors) {
  auto pair = SysSocketpair(SOCK_STREAM);
  ASSERT_TRUE(pair.ok());
  EXPECT_EQ(ReceiveFd(pair->read.get(), DeadlineAfter(milliseconds(100))).error().err, ETIMEDOUT);
  ASSERT_TRUE(WriteAll(pair->write.get(), "x").ok());
  EXPECT_EQ(ReceiveFd(pair->read.get(), DeadlineAfter(milliseconds(1000))).error().err, EPROTO);
  pair->write.reset();
  EXPECT_EQ(ReceiveFd(pair->read.get(), DeadlineAfter(milliseconds(1000))).error().err, ECONNRESET);
}

}  // namespace
}  // namespace cordon::ipc
