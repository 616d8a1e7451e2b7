// The bridge process: see bridge_process.h.
#include "runner/bridge_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <nlohmann/json.hpp>

#include "base/sys.h"
#include "linux/helper_lockdown.h"
#include "net/blocked_hosts_json.h"
#include "net/resolver.h"
#include "runner/network_bridge.h"

namespace cordon {
namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

// A reply longer than this is a broken bridge, not a list of hosts (a host entry is < 1 KiB).
constexpr size_t kMaxLineBytes = 16 << 20;

// Host names the proxy could not normalize are kept as sent: not necessarily UTF-8.
std::string Dump(const json& j) {
  return j.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
}

// Blocking send of a whole line; false when cordon is gone.
bool SendLine(int fd, const std::string& line) {
  size_t done = 0;
  while (done < line.size()) {
    const ssize_t n = ::send(fd, line.data() + done, line.size() - done, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

// Closes every descriptor from 3 up except `keep`.
void CloseAllExcept(std::vector<int> keep) {
  std::sort(keep.begin(), keep.end());
  unsigned first = 3;
  for (int fd : keep) {
    if (static_cast<unsigned>(fd) > first) ::close_range(first, static_cast<unsigned>(fd) - 1, 0);
    first = std::max(first, static_cast<unsigned>(fd) + 1);
  }
  ::close_range(first, ~0U, 0);
}

// The bridge process. Never returns into the caller's stack: it ends with _exit.
[[noreturn]] void BridgeMain(pid_t parent, UniqueFd socket, const NetworkPlan& network,
                             std::vector<UniqueFd> listeners) {
  // Dies with cordon, even when cordon is SIGKILLed. If cordon died before the prctl, the bridge
  // has already been re-parented and must not serve anyone.
  if (::prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || ::getppid() != parent) ::_exit(1);
  ::prctl(PR_SET_NAME, "cordon-bridge");
  // cordon decides when the bridge ends: Ctrl-C at a terminal or a TERM to the process group
  // reaches cordon, which then stops its bridges after reading what they blocked.
  struct sigaction ignore {};
  ignore.sa_handler = SIG_IGN;
  for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE, SIGUSR1, SIGUSR2, SIGWINCH}) {
    ::sigaction(sig, &ignore, nullptr);
  }
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);

  // Keep only the socket and the listeners (moved above 2 first, in case cordon was started
  // with 0-2 closed); 0-2 become /dev/null: the bridge must not hold cordon's stdin, stdout or
  // stderr open, nor any other runner's descriptors.
  auto above_stdio = [](UniqueFd& fd) {
    if (fd.get() >= 0 && fd.get() <= 2) fd.reset(::fcntl(fd.get(), F_DUPFD_CLOEXEC, 3));
    return fd.valid();
  };
  if (!above_stdio(socket)) ::_exit(1);
  for (UniqueFd& l : listeners) {
    if (!above_stdio(l)) ::_exit(1);
  }
  const int null = ::open("/dev/null", O_RDWR);
  if (null < 0) ::_exit(1);
  for (int fd = 0; fd <= 2; ++fd) {
    if (null != fd && ::dup2(null, fd) < 0) ::_exit(1);
  }
  std::vector<int> keep = {socket.get()};
  for (const UniqueFd& l : listeners) keep.push_back(l.get());
  CloseAllExcept(keep);  // `null` too, when it is above 2

  // From here on the bridge parses what sandboxed commands send: it keeps its descriptors and its
  // network, and gives up everything else (linux/helper_lockdown.h), before its threads start.
  if (Status locked = LockDownHelperProcess(SystemResolverFiles()); !locked) {
    (void)SendLine(socket.get(), Dump(json{{"error", locked.error().ToString()}}));
    ::_exit(1);
  }
  auto proxy = StartNetworkBridge(network, std::move(listeners));
  if (!proxy) {
    (void)SendLine(socket.get(), Dump(json{{"error", proxy.error().ToString()}}));
    ::_exit(1);
  }
  if (!SendLine(socket.get(), Dump(json{{"ready", true}}))) ::_exit(0);
  char requests[256];
  for (;;) {
    const ssize_t n = ::read(socket.get(), requests, sizeof requests);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // cordon closed its end (or is gone): stop serving
    for (ssize_t i = 0; i < n; ++i) {
      if (requests[i] != 'b') ::_exit(1);  // not cordon speaking
      if (!SendLine(socket.get(),
                    Dump(json{{"blocked_hosts", BlockedHostsToJson((*proxy)->BlockedHosts())}})))
        ::_exit(0);
    }
  }
  // The kernel closes the listeners and every tunnel; nothing is left to flush.
  ::_exit(0);
}

Result<std::vector<BlockedHost>> ParseBlockedHosts(const std::string& line) {
  try {
    return BlockedHostsFromJson(json::parse(line).at("blocked_hosts"));
  } catch (const json::exception& e) {
    return PlainError("read the blocked hosts from the network bridge", e.what());
  }
}

}  // namespace

Result<std::unique_ptr<BridgeProcess>> BridgeProcess::Start(const NetworkPlan& network,
                                                            std::vector<UniqueFd> listeners,
                                                            std::chrono::milliseconds timeout) {
  auto pair = SysSocketpair(SOCK_STREAM);
  if (!pair) return pair.error();
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) return ErrnoError("fork the network bridge");
  if (pid == 0) BridgeMain(parent, std::move(pair->write), network, std::move(listeners));
  std::unique_ptr<BridgeProcess> bridge(new BridgeProcess());
  bridge->pid_ = pid;
  bridge->socket_ = std::move(pair->read);
  pair->write.reset();
  listeners.clear();  // the bridge holds them now
  auto line = bridge->ReadLine(Clock::now() + timeout);
  if (!line) return line.error();  // ~BridgeProcess kills and reaps it
  try {
    const json j = json::parse(*line);
    if (j.contains("error")) {
      return PlainError("start the network proxy", j["error"].get<std::string>());
    }
    if (j.value("ready", false)) return bridge;
  } catch (const json::exception&) {
  }
  return PlainError("start the network proxy", "the bridge process answered: " + *line);
}

Result<std::string> BridgeProcess::ReadLine(Clock::time_point deadline) {
  for (;;) {
    if (const size_t nl = pending_.find('\n'); nl != std::string::npos) {
      std::string line = pending_.substr(0, nl);
      pending_.erase(0, nl + 1);
      return line;
    }
    if (pending_.size() > kMaxLineBytes) {
      broken_ = true;
      return PlainError("read from the network bridge", "a line longer than 16 MiB");
    }
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    pollfd p{socket_.get(), POLLIN, 0};
    const int ready = left > 0 ? ::poll(&p, 1, static_cast<int>(left)) : 0;
    if (ready < 0 && errno == EINTR) continue;
    if (ready < 0) return ErrnoError("wait for the network bridge");
    if (ready == 0) {
      broken_ = true;
      return PlainError("read from the network bridge", "no answer in time");
    }
    char buf[64 << 10];
    const ssize_t n = ::read(socket_.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      broken_ = true;
      return n == 0 ? PlainError("read from the network bridge", "the bridge process exited")
                    : ErrnoError("read from the network bridge");
    }
    pending_.append(buf, static_cast<size_t>(n));
  }
}

Result<std::vector<BlockedHost>> BridgeProcess::BlockedHosts(std::chrono::milliseconds timeout) {
  if (broken_ || !socket_) {
    return PlainError("ask the network bridge for blocked hosts", "the bridge is not answering");
  }
  if (::send(socket_.get(), "b", 1, MSG_NOSIGNAL) != 1) {
    broken_ = true;
    return ErrnoError("ask the network bridge for blocked hosts");
  }
  auto line = ReadLine(Clock::now() + timeout);
  if (!line) return line.error();
  auto hosts = ParseBlockedHosts(*line);
  if (!hosts) broken_ = true;
  return hosts;
}

void BridgeProcess::Stop() {
  socket_.reset();
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);  // not reaped yet: the pid cannot have been reused
  while (::waitpid(pid_, nullptr, 0) < 0 && errno == EINTR) {
  }
  pid_ = -1;
}

BridgeProcess::~BridgeProcess() { Stop(); }

}  // namespace cordon
