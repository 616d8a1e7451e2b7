#include "runner/one_shot.h"

#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

#include "linux/sandbox.h"
#include "runner/bridge_process.h"

namespace cordon {
namespace {

constexpr int kForwardedSignals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH};

// Sent by the init over the control socket when the command has ended.
struct ExitRecord {
  int32_t exited;  // 1: exited with `value`; 0: killed by signal `value`
  int32_t value;
};

void NoOpHandler(int) {}

struct InitArgs {
  const PreparedCommand* command;
};

// PID 1 of the sandbox. Signals sent to a namespace's init from outside are dropped unless it
// has a handler, so every forwarded signal gets a no-op handler and is then read, blocked,
// through a signalfd.
int OneShotInit(void* arg, const PreparedSandbox& sandbox, int control_fd, int error_fd) {
  const auto* args = static_cast<const InitArgs*>(arg);
  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGCHLD);
  struct sigaction sa {};
  sa.sa_handler = NoOpHandler;
  for (int sig : kForwardedSignals) {
    // A signal cordon was started with ignored (nohup) stays ignored for the command, exactly
    // as without cordon: it is neither caught nor forwarded.
    struct sigaction current {};
    ::sigaction(sig, nullptr, &current);
    if (current.sa_handler == SIG_IGN) continue;
    sigaddset(&mask, sig);
    ::sigaction(sig, &sa, nullptr);
  }
  ::sigprocmask(SIG_BLOCK, &mask, nullptr);
  const int sfd = ::signalfd(-1, &mask, SFD_CLOEXEC);
  if (sfd < 0) return 1;

  const pid_t pid = SpawnInSandbox(sandbox, *args->command, error_fd, /*new_session=*/false);
  if (pid < 0) {
    ChildFailure f{ChildStage::kFork, 0, errno};
    ssize_t ignored = ::write(error_fd, &f, sizeof f);
    (void)ignored;
    return 1;
  }
  ::close(error_fd);  // the host sees end of file once the command has been exec'd

  for (;;) {
    signalfd_siginfo info;
    ssize_t n = ::read(sfd, &info, sizeof info);
    if (n < 0 && errno == EINTR) continue;
    if (n != static_cast<ssize_t>(sizeof info)) return 1;
    if (info.ssi_signo != SIGCHLD) {
      // To the command's process group (it is its leader), so a shell and its children hear it.
      if (::kill(-pid, static_cast<int>(info.ssi_signo)) < 0)
        ::kill(pid, static_cast<int>(info.ssi_signo));
      continue;
    }
    for (;;) {
      int status = 0;
      pid_t reaped = ::waitpid(-1, &status, WNOHANG);
      if (reaped <= 0) break;
      if (reaped != pid) continue;  // an orphan: reaped, nothing else to do
      ExitRecord record{WIFEXITED(status) ? 1 : 0,
                        WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status)};
      ssize_t ignored = ::send(control_fd, &record, sizeof record, MSG_NOSIGNAL);
      (void)ignored;
      return 0;  // the kernel now kills everything left in the PID namespace
    }
  }
}

ExecOutcome SetupFailure(Error error) {
  ExecOutcome out;
  out.kind = ExecOutcome::Kind::kSetupFailed;
  out.error = std::move(error);
  return out;
}

}  // namespace

int ExecOutcome::ExitStatus() const {
  switch (kind) {
    case Kind::kExited:
      return code;
    case Kind::kSignaled:
      return 128 + signal;
    case Kind::kExecFailed:
      return error.err == ENOENT ? kExitNotFound : kExitCannotExecute;
    case Kind::kSetupFailed:
      return kExitCordonError;
  }
  return kExitCordonError;
}

ExecOutcome RunOneShot(const Plan& plan, RunObserver* observer) {
  RunObserver no_observer;
  if (observer == nullptr) observer = &no_observer;
  auto prepared = PrepareSandbox(plan);
  if (!prepared) return SetupFailure(prepared.error());
  PreparedCommand command(plan.argv, plan.env, plan.cwd);
  InitArgs args{&command};

  // Block the forwarded signals before the clone, so none is lost in between; the init inherits
  // the mask and reads them from its own signalfd.
  sigset_t mask, old_mask;
  sigemptyset(&mask);
  for (int sig : kForwardedSignals) sigaddset(&mask, sig);
  ::sigprocmask(SIG_BLOCK, &mask, &old_mask);
  struct Restore {
    sigset_t mask;
    ~Restore() { ::sigprocmask(SIG_SETMASK, &mask, nullptr); }
  } restore{old_mask};

  observer->SandboxSetupStarted();
  auto sandbox = Sandbox::Start(**prepared, OneShotInit, &args);
  if (!sandbox) return SetupFailure(sandbox.error());
  // Proxy mode and host ports: the init's loopback listeners are served by a bridge process
  // (runner/bridge_process.h), which locks itself down before it parses anything the command
  // sends; cordon itself keeps its rights (it removes placeholders and writes the report later).
  std::unique_ptr<BridgeProcess> bridge;
  if (auto listeners = sandbox->TakeNetworkListeners(); !listeners.empty()) {
    auto started = BridgeProcess::Start(plan.network, std::move(listeners));
    if (!started) {
      sandbox->Reap(true);
      return SetupFailure(started.error());
    }
    bridge = std::move(*started);
  }
  auto ready = sandbox->WaitReady();
  if (!ready) return SetupFailure(ready.error());
  if (ready->stage != ChildStage::kNone) {
    ExecOutcome out;
    const bool exec_stage = ready->stage == ChildStage::kExec || ready->stage == ChildStage::kChdir;
    out.kind = exec_stage ? ExecOutcome::Kind::kExecFailed : ExecOutcome::Kind::kSetupFailed;
    out.error = DescribeChildFailure(plan, *ready, plan.argv[0]);
    sandbox->Reap(true);
    return out;
  }

  observer->CommandStarted();
  const int sfd = ::signalfd(-1, &mask, SFD_CLOEXEC);
  pollfd fds[2] = {{sandbox->control_fd(), POLLIN, 0}, {sfd, POLLIN, 0}};
  for (;;) {
    int n = ::poll(fds, sfd >= 0 ? 2 : 1, -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (sfd >= 0 && (fds[1].revents & POLLIN)) {
      signalfd_siginfo info;
      if (::read(sfd, &info, sizeof info) == static_cast<ssize_t>(sizeof info)) {
        sandbox->Signal(static_cast<int>(info.ssi_signo));
      }
    }
    if (fds[0].revents != 0) break;
  }
  ExitRecord record{};
  ssize_t got = ::recv(sandbox->control_fd(), &record, sizeof record, 0);
  if (sfd >= 0) ::close(sfd);
  const int init_status = sandbox->Reap(false);
  observer->CommandEnded();
  ExecOutcome out;
  if (bridge) {
    // Asked after the command ended: nothing in the sandbox can reach the proxy any more.
    if (auto blocked = bridge->BlockedHosts()) {
      out.blocked_hosts = std::move(*blocked);
    } else {
      std::fprintf(stderr, "cordon: warning: what the network proxy refused is unknown: %s\n",
                   blocked.error().ToString().c_str());
    }
    bridge->Stop();
  }
  if (got != static_cast<ssize_t>(sizeof record)) {
    std::string how = WIFSIGNALED(init_status)
                          ? "was killed by signal " + std::to_string(WTERMSIG(init_status))
                          : "exited with status " + std::to_string(WEXITSTATUS(init_status));
    ExecOutcome failed = SetupFailure(
        PlainError("run the command", "the sandbox's init " + how + " before the command ended"));
    failed.blocked_hosts = std::move(out.blocked_hosts);
    return failed;
  }
  if (record.exited == 1) {
    out.kind = ExecOutcome::Kind::kExited;
    out.code = record.value;
  } else {
    out.kind = ExecOutcome::Kind::kSignaled;
    out.signal = record.value;
  }
  return out;
}

}  // namespace cordon
