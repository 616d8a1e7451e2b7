// The exporter child process: see exporter_process.h.
#include "telemetry/exporter_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <vector>

#include "base/sys.h"
#include "telemetry/span_wire.h"

namespace cordon {
namespace {

using Clock = std::chrono::steady_clock;

// Closes every descriptor except those in `keep` (close_range(2) over the gaps, Linux 5.9;
// one close per descriptor before that).
void CloseAllExcept(std::vector<int> keep) {
  std::sort(keep.begin(), keep.end());
  unsigned first = 0;
  for (int fd : keep) {
    if (static_cast<unsigned>(fd) > first) {
      if (::syscall(SYS_close_range, first, static_cast<unsigned>(fd) - 1, 0) != 0) {
        for (unsigned i = first; i < static_cast<unsigned>(fd); ++i) ::close(static_cast<int>(i));
      }
    }
    first = static_cast<unsigned>(fd) + 1;
  }
  if (::syscall(SYS_close_range, first, ~0U, 0) != 0) {
    const long max = ::sysconf(_SC_OPEN_MAX);
    for (long i = first; i < max; ++i) ::close(static_cast<int>(i));
  }
}

// The child: spans in from `sock`, out to the collector; at end of input, the bounded flush.
[[noreturn]] void ChildMain(pid_t parent, int sock, int exit_write,
                            OtlpHttpExporterOptions options) {
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() != parent) ::_exit(0);  // the parent died before the line above
  // Ctrl-C in a terminal reaches the whole process group: the exporter ends when serve says so
  // (end of input, then SIGKILL after the flush timeout) or dies with it, never on its own.
  sigset_t mask;
  sigemptyset(&mask);
  for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE, SIGTSTP}) sigaddset(&mask, sig);
  ::sigprocmask(SIG_BLOCK, &mask, nullptr);
  // serve's stdout is its JSON-RPC channel and stdin the client's: the exporter holds neither
  // (the client must see EOF when serve exits, not when the exporter does).
  const int null = ::open("/dev/null", O_RDWR | O_CLOEXEC);
  if (null >= 0) {
    ::dup2(null, 0);
    ::dup2(null, 1);
  }
  CloseAllExcept({0, 1, 2, sock, exit_write});
  // Named once it holds only its own descriptors (tests wait for the name).
  ::prctl(PR_SET_NAME, "cordon-otlp");

  const auto budget = ExporterProcess::ChildFlushBudget(options.timeout);
  OtlpHttpExporter exporter(std::move(options));
  std::string buf;
  char chunk[64 << 10];
  for (;;) {
    const ssize_t n = ::read(sock, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    buf.append(chunk, static_cast<size_t>(n));
    size_t start = 0;
    for (size_t nl; (nl = buf.find('\n', start)) != std::string::npos; start = nl + 1) {
      auto span = DecodeSpanLine(std::string_view(buf).substr(start, nl - start));
      if (span) exporter.Enqueue(std::move(*span));  // a bad line cannot come from serve
    }
    buf.erase(0, start);
  }
  exporter.Shutdown(budget);
  ::_exit(0);  // never the parent's atexit handlers or destructors
}

}  // namespace

std::chrono::milliseconds ExporterProcess::ChildFlushBudget(std::chrono::milliseconds t) {
  return t - std::min(t / 5, std::chrono::milliseconds(50));
}

Result<std::unique_ptr<ExporterProcess>> ExporterProcess::Start(OtlpHttpExporterOptions options,
                                                                size_t max_pending_bytes) {
  auto sockets = SysSocketpair(SOCK_STREAM | SOCK_CLOEXEC);
  if (!sockets) return sockets.error();
  auto exit_pipe = SysPipe(O_CLOEXEC);
  if (!exit_pipe) return exit_pipe.error();
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) return ErrnoError(errno, "fork", "the trace exporter process");
  if (pid == 0) {
    ChildMain(parent, sockets->write.get(), exit_pipe->write.get(), std::move(options));
  }
  std::unique_ptr<ExporterProcess> p(new ExporterProcess());
  p->pid_ = pid;
  p->socket_ = std::move(sockets->read);
  p->exit_watch_ = std::move(exit_pipe->read);
  p->max_pending_bytes_ = max_pending_bytes;
  p->report_ = std::move(options.report);
  return p;
}

ExporterProcess::~ExporterProcess() { Shutdown(std::chrono::milliseconds(0)); }

void ExporterProcess::Drop(const std::string& why) {
  ++dropped_;
  if (drop_reported_ || !report_) return;
  drop_reported_ = true;
  report_(why + "; spans are dropped (further drops are not reported)");
}

bool ExporterProcess::FlushPending() {
  while (!gone_ && !pending_.empty()) {
    const ssize_t n =
        ::send(socket_.get(), pending_.data(), pending_.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n > 0) {
      pending_.erase(0, static_cast<size_t>(n));
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      return true;
    } else {
      gone_ = true;  // EPIPE, ECONNRESET: the child has exited
      pending_.clear();
    }
  }
  return !gone_;
}

bool ExporterProcess::Enqueue(SpanRecord span) {
  if (shut_down_) {
    ++dropped_;
    return false;
  }
  std::string line = EncodeSpanLine(span);
  if (!FlushPending()) {
    Drop("the trace exporter process has exited");
    return false;
  }
  if (pending_.size() + line.size() > max_pending_bytes_) {
    Drop("the trace exporter process is not keeping up");
    return false;
  }
  pending_ += line;
  if (!FlushPending()) {
    Drop("the trace exporter process has exited");
    return false;
  }
  return true;
}

void ExporterProcess::Shutdown(std::chrono::milliseconds flush_timeout) {
  if (shut_down_) return;
  shut_down_ = true;
  const auto deadline = Clock::now() + flush_timeout;
  auto left_ms = [&] {
    return static_cast<int>(std::max<int64_t>(
        0, std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count()));
  };
  // What the socket could not take yet, within the deadline.
  while (FlushPending() && !pending_.empty() && left_ms() > 0) {
    pollfd p{socket_.get(), POLLOUT, 0};
    ::poll(&p, 1, left_ms());
  }
  socket_.reset();  // end of input: the child flushes and exits
  for (;;) {
    pollfd p{exit_watch_.get(), POLLIN, 0};
    const int r = ::poll(&p, 1, left_ms());
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) ::kill(pid_, SIGKILL);  // the flush timeout is over (or poll failed)
    break;
  }
  int status = 0;
  while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  exit_watch_.reset();
}

}  // namespace cordon
