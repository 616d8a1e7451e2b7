// BridgeProcess with listeners this test makes on the host's loopback (no sandbox needed): the
// proxy answers in the forked process, blocked hosts come back over the socket, the process
// keeps none of the test's descriptors, is reaped by Stop and dies with its parent. The test
// process stays single-threaded (Start's precondition): no server threads, it accepts itself.
#include "runner/bridge_process.h"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <string>
#include <thread>

#include "base/sys.h"
#include "net/test_servers.h"

namespace cordon {
namespace {

using testing::ConnectLoopback;
using testing::ListenLoopback;
using testing::ReadToEof;

struct Listeners {
  std::vector<UniqueFd> fds;
  std::vector<uint16_t> ports;
};

Listeners MakeListeners(size_t n) {
  Listeners l;
  for (size_t i = 0; i < n; ++i) {
    uint16_t port = 0;
    auto fd = ListenLoopback(&port);
    EXPECT_TRUE(fd.ok());
    l.fds.push_back(std::move(*fd));
    l.ports.push_back(port);
  }
  return l;
}

NetworkPlan ProxyPlan() {
  NetworkPlan plan;
  plan.proxy = true;
  plan.domains = {{"allowed.test", "allow"}};
  return plan;
}

std::string ProcState(pid_t pid) {
  auto stat = ReadFileToString("/proc/" + std::to_string(pid) + "/stat");
  if (!stat.ok()) return "";
  const size_t close = stat->rfind(')');
  return close == std::string::npos ? "" : stat->substr(close + 2, 1);
}

// Gone, or a zombie nobody has reaped yet (it no longer runs).
bool Dead(pid_t pid, int timeout_ms = 3000) {
  for (int waited = 0; waited < timeout_ms; waited += 10) {
    const std::string state = ProcState(pid);
    if (state.empty() || state == "Z") return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

// "<fd> <link target>" for each open descriptor of `pid` (or only `only`), in fd order.
std::vector<std::string> FdTargets(pid_t pid, int only = -1) {
  std::vector<int> numbers;
  const std::string dir = "/proc/" + std::to_string(pid) + "/fd";
  if (only >= 0) {
    numbers.push_back(only);
  } else if (DIR* d = ::opendir(dir.c_str())) {
    while (dirent* e = ::readdir(d)) {
      if (e->d_name[0] != '.') numbers.push_back(std::atoi(e->d_name));
    }
    ::closedir(d);
  }
  std::sort(numbers.begin(), numbers.end());
  std::vector<std::string> out;
  for (int fd : numbers) {
    char target[256] = {};
    const ssize_t n =
        ::readlink((dir + "/" + std::to_string(fd)).c_str(), target, sizeof target - 1);
    out.push_back(std::to_string(fd) + " " + (n > 0 ? std::string(target, n) : "?"));
  }
  return out;
}

TEST(BridgeProcessTest, RefusesAndReportsBlockedHostsFromItsOwnProcess) {
  Listeners l = MakeListeners(2);
  auto bridge = BridgeProcess::Start(ProxyPlan(), std::move(l.fds));
  ASSERT_TRUE(bridge.ok()) << bridge.error().ToString();
  EXPECT_NE((*bridge)->pid(), ::getpid());
  auto before = (*bridge)->BlockedHosts();
  ASSERT_TRUE(before.ok()) << before.error().ToString();
  EXPECT_TRUE(before->empty());

  for (int i = 0; i < 2; ++i) {
    auto c = ConnectLoopback(l.ports[0]);
    ASSERT_TRUE(c.ok());
    ASSERT_TRUE(
        WriteAll(c->get(), "GET http://denied.test:81/ HTTP/1.1\r\nHost: denied.test\r\n\r\n"));
    EXPECT_EQ(ReadToEof(c->get()).rfind("HTTP/1.1 403", 0), 0u);
  }
  auto after = (*bridge)->BlockedHosts();
  ASSERT_TRUE(after.ok()) << after.error().ToString();
  ASSERT_EQ(after->size(), 1u);
  EXPECT_EQ((*after)[0].host, "denied.test");
  EXPECT_EQ((*after)[0].port, 81);
  EXPECT_EQ((*after)[0].count, 2u);
  EXPECT_EQ((*after)[0].protocols, std::vector<std::string>{"http"});
  EXPECT_EQ((*after)[0].reason, "denied.test:81 is not in the allowed domains");

  const pid_t pid = (*bridge)->pid();
  (*bridge)->Stop();
  EXPECT_EQ(::waitpid(pid, nullptr, WNOHANG), -1);  // already reaped
  EXPECT_EQ(errno, ECHILD);
  auto late = (*bridge)->BlockedHosts();
  EXPECT_FALSE(late.ok());
}

TEST(BridgeProcessTest, ForwardsHostPortsAndKeepsNoneOfTheParentsDescriptors) {
  // A pipe the parent holds (not close-on-exec, like any descriptor a bridge must not keep).
  int p[2];
  ASSERT_EQ(::pipe(p), 0);
  UniqueFd pipe_read(p[0]), pipe_write(p[1]);
  uint16_t target_port = 0;
  auto target = ListenLoopback(&target_port);
  ASSERT_TRUE(target.ok());
  NetworkPlan plan;
  plan.host_ports = {target_port};
  Listeners l = MakeListeners(1);
  auto bridge = BridgeProcess::Start(plan, std::move(l.fds));
  ASSERT_TRUE(bridge.ok()) << bridge.error().ToString();
  const pid_t pid = (*bridge)->pid();

  // 0-2 are /dev/null; neither the pipe nor the test's own listening socket is held.
  const std::vector<std::string> fds = FdTargets(pid);
  ASSERT_GE(fds.size(), 3u);
  EXPECT_EQ(fds[0], "0 /dev/null");
  EXPECT_EQ(fds[1], "1 /dev/null");
  EXPECT_EQ(fds[2], "2 /dev/null");
  for (int held : {pipe_read.get(), pipe_write.get(), target->get()}) {
    const std::string ours = FdTargets(::getpid(), held)[0];
    for (const std::string& fd : fds) {
      EXPECT_NE(fd.substr(fd.find(' ') + 1), ours.substr(ours.find(' ') + 1)) << fd;
    }
  }
  pipe_write.reset();
  pollfd pfd{pipe_read.get(), POLLIN, 0};
  ASSERT_EQ(::poll(&pfd, 1, 1000), 1);
  char byte;
  EXPECT_EQ(::read(pipe_read.get(), &byte, 1), 0);  // end of file: the bridge kept no copy

  // The forwarder relays to the host port, from the bridge process.
  auto c = ConnectLoopback(l.ports[0]);
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE(WriteAll(c->get(), "ping"));
  UniqueFd accepted(::accept4(target->get(), nullptr, nullptr, SOCK_CLOEXEC));
  ASSERT_TRUE(accepted.valid());
  EXPECT_EQ(testing::ReadN(accepted.get(), 4), "ping");
  ASSERT_TRUE(WriteAll(accepted.get(), "pong"));
  EXPECT_EQ(testing::ReadN(c->get(), 4), "pong");
  auto blocked = (*bridge)->BlockedHosts();
  ASSERT_TRUE(blocked.ok());
  EXPECT_TRUE(blocked->empty());  // forwarders have no rules
}

TEST(BridgeProcessTest, AProxyThatCannotStartIsAnErrorAndLeavesNoProcess) {
  Listeners l = MakeListeners(1);  // the plan wants two
  auto bridge = BridgeProcess::Start(ProxyPlan(), std::move(l.fds));
  ASSERT_FALSE(bridge.ok());
  EXPECT_NE(bridge.error().ToString().find("the sandbox sent 1 listeners, expected 2"),
            std::string::npos)
      << bridge.error().ToString();
  EXPECT_EQ(::waitpid(-1, nullptr, WNOHANG), -1);
  EXPECT_EQ(errno, ECHILD);
}

// Tier 2: a forked parent starts a bridge and is SIGKILLed; the bridge must not survive it.
TEST(BridgeProcessTest, DiesWhenItsParentIsKilled) {
  int p[2];
  ASSERT_EQ(::pipe2(p, O_CLOEXEC), 0);
  const pid_t parent = ::fork();
  ASSERT_GE(parent, 0);
  if (parent == 0) {
    Listeners l = MakeListeners(2);
    auto bridge = BridgeProcess::Start(ProxyPlan(), std::move(l.fds));
    if (!bridge.ok()) ::_exit(1);
    const pid_t pid = (*bridge)->pid();
    if (::write(p[1], &pid, sizeof pid) != sizeof pid) ::_exit(1);
    for (;;) ::pause();
  }
  ::close(p[1]);
  pid_t bridge_pid = 0;
  ASSERT_EQ(::read(p[0], &bridge_pid, sizeof bridge_pid), static_cast<ssize_t>(sizeof bridge_pid));
  ::close(p[0]);
  EXPECT_FALSE(Dead(bridge_pid, 100));
  ::kill(parent, SIGKILL);
  ::waitpid(parent, nullptr, 0);
  EXPECT_TRUE(Dead(bridge_pid));
}

}  // namespace
}  // namespace cordon
