// The terminal bridge of `cordon exec --tty`: see tty_exec.h.
#include "server/tty_exec.h"

#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "base/sys.h"
#include "runner/runner_host.h"
#include "session/pty.h"
#include "session/terminal_raw_mode.h"

namespace cordon {
namespace {

constexpr int kBridgedSignals[] = {SIGWINCH, SIGTERM, SIGHUP, SIGINT, SIGQUIT};

// Fatal signals (a bug in cordon) still give the user their terminal back.
void RestoreAndReraise(int sig) {
  TerminalRawMode::RestoreFromSignalHandler();
  ::signal(sig, SIG_DFL);
  ::raise(sig);
}

}  // namespace

ExecOutcome RunInteractive(const Plan& plan, RunObserver* observer, int in_fd, int out_fd,
                           uint32_t handshake_timeout_ms) {
  RunObserver no_observer;
  if (observer == nullptr) observer = &no_observer;
  ExecOutcome outcome;
  // Blocked before the runner exists, so none is lost; read from a signalfd below.
  sigset_t mask, old_mask;
  sigemptyset(&mask);
  for (int sig : kBridgedSignals) sigaddset(&mask, sig);
  ::sigprocmask(SIG_BLOCK, &mask, &old_mask);
  struct RestoreMask {
    sigset_t mask;
    ~RestoreMask() { ::sigprocmask(SIG_SETMASK, &mask, nullptr); }
  } restore_mask{old_mask};

  observer->SandboxSetupStarted();
  auto conn = RunnerConnection::Start(plan, handshake_timeout_ms);
  if (!conn) {
    std::fprintf(stderr, "cordon: %s\n", conn.error().ToString().c_str());
    outcome.kind = ExecOutcome::Kind::kSetupFailed;
    outcome.error = conn.error();
    return outcome;
  }
  RunnerConnection& runner = **conn;
  observer->CommandStarted();
  WindowSize size{24, 80};
  if (auto ws = GetWindowSize(in_fd); ws && ws->rows != 0 && ws->cols != 0) size = *ws;
  ipc::Spawn spawn;
  spawn.id = 1;
  spawn.argv = plan.argv;
  spawn.cwd = plan.cwd;
  spawn.env = plan.env;
  spawn.tty = true;
  spawn.rows = size.rows;
  spawn.cols = size.cols;
  spawn.stdin_open = true;
  (void)runner.writer().Enqueue(spawn);

  std::optional<TerminalRawMode> raw;
  if (::isatty(in_fd)) {
    auto r = TerminalRawMode::Enter(in_fd);
    if (r) raw.emplace(std::move(*r));
  }
  for (int sig : {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT}) ::signal(sig, RestoreAndReraise);
  UniqueFd sigfd(::signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC));

  int status = -1;
  bool stdin_open = true;
  char buf[64 << 10];
  while (status < 0) {
    pollfd fds[3] = {
        {runner.fd(), static_cast<short>(POLLIN | (runner.writer().empty() ? 0 : POLLOUT)), 0},
        {sigfd.get(), POLLIN, 0},
        {stdin_open ? in_fd : -1, POLLIN, 0}};
    // Back-pressure: stop reading the keyboard (or a pipe) while stdin frames are queued.
    if (runner.writer().queued_bytes() > (1u << 20)) fds[2].fd = -1;
    if (::poll(fds, 3, -1) < 0 && errno != EINTR) break;
    if (fds[1].revents & POLLIN) {
      signalfd_siginfo info;
      while (::read(sigfd.get(), &info, sizeof info) == static_cast<ssize_t>(sizeof info)) {
        const int sig = static_cast<int>(info.ssi_signo);
        if (sig == SIGWINCH) {
          if (auto ws = GetWindowSize(in_fd); ws && ws->rows != 0 && ws->cols != 0) {
            (void)runner.writer().Enqueue(ipc::Resize{1, ws->rows, ws->cols});
          }
        } else if (sig == SIGINT) {
          // Not from the keyboard (raw mode sends Ctrl-C to the PTY): from kill(1). Pass it on.
          (void)runner.writer().Enqueue(ipc::Signal{1, SIGINT});
        } else {
          // SIGTERM, SIGHUP, SIGQUIT: cordon is asked to end; the sandbox goes with it.
          status = 128 + sig;
          outcome.kind = ExecOutcome::Kind::kSignaled;
          outcome.signal = sig;
        }
      }
    }
    if (status >= 0) break;
    if (fds[2].revents & (POLLIN | POLLHUP | POLLERR)) {
      const ssize_t n = ::read(in_fd, buf, sizeof buf);
      if (n > 0) {
        (void)runner.writer().EnqueueStdin(1, std::string_view(buf, static_cast<size_t>(n)));
      } else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
        stdin_open = false;
        (void)runner.writer().Enqueue(ipc::CloseStdin{1});
      }
    }
    if (!runner.writer().empty() && !runner.writer().Flush(runner.fd())) {
      std::fprintf(stderr, "\r\ncordon: the sandbox's runner went away\r\n");
      status = 125;
      outcome.error = PlainError("run the command", "the sandbox's runner went away");
      break;
    }
    if (!(fds[0].revents & (POLLIN | POLLHUP | POLLERR))) continue;
    auto state = runner.reader().ReadFrom(runner.fd());
    if (!state) {
      status = 125;
      outcome.error = state.error();
      break;
    }
    for (;;) {
      std::string_view bytes;
      auto next = runner.reader().NextView(&bytes);
      if (!next) {
        if (raw) (void)raw->Restore();
        std::fprintf(stderr, "cordon: %s\n", next.error().ToString().c_str());
        status = 125;
        outcome.error = next.error();
        break;
      }
      if (!next->has_value()) break;
      const ipc::Message& m = **next;
      if (std::holds_alternative<ipc::Output>(m)) {
        if (!WriteAll(out_fd, bytes)) stdin_open = false;
      } else if (auto* e = std::get_if<ipc::SpawnError>(&m)) {
        if (raw) (void)raw->Restore();
        std::fprintf(stderr, "cordon: %s\n", e->message.c_str());
        status = e->stage == ipc::SpawnStage::kExec && e->err == ENOENT ? 127 : 126;
        // ExitStatus() gives 127 only for ENOENT, and only exec's ENOENT means "not found".
        outcome.kind = ExecOutcome::Kind::kExecFailed;
        outcome.error = PlainError("start the command", e->message);
        outcome.error.err = status == 127 ? ENOENT : EACCES;
        break;
      } else if (auto* x = std::get_if<ipc::Exit>(&m)) {
        status = x->signaled ? 128 + x->code : x->code;
        outcome.kind = x->signaled ? ExecOutcome::Kind::kSignaled : ExecOutcome::Kind::kExited;
        (x->signaled ? outcome.signal : outcome.code) = x->code;
        break;
      }
    }
    if (status < 0 && *state == ipc::FrameReader::ReadState::kEof) {
      status = 125;
      outcome.error = PlainError("run the command", "the sandbox's runner exited");
    }
  }
  if (status < 0) outcome.error = ErrnoError("poll the terminal and the runner");
  if (raw) (void)raw->Restore();
  // What the proxy refused, as `cordon exec` reports it (the terminal is cooked again).
  if (BridgeProcess* bridge = runner.bridge()) {
    if (auto blocked = bridge->BlockedHosts()) {
      const std::string report = FormatBlockedHosts(*blocked);
      if (!report.empty()) std::fputs(report.c_str(), stderr);
      outcome.blocked_hosts = std::move(*blocked);  // for --json-report and cordon.denials
    }
  }
  runner.Kill();
  observer->CommandEnded();
  return outcome;
}

}  // namespace cordon
