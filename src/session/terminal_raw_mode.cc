// TerminalRawMode: see terminal_raw_mode.h.
#include "session/terminal_raw_mode.h"

#include <termios.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <csignal>
#include <utility>

namespace cordon {
namespace {

// Static so that a signal handler can reach them without locks or allocation. g_active is set
// only after g_saved and g_fd are fully written (the fence keeps the compiler from reordering
// across the handler's view of them).
struct termios g_saved;
int g_fd = -1;
volatile std::sig_atomic_t g_active = 0;

}  // namespace

Result<TerminalRawMode> TerminalRawMode::Enter(int fd) {
  if (g_active) return Error{"enter terminal raw mode", {}, EBUSY, "raw mode is already active"};
  struct termios saved;
  if (::tcgetattr(fd, &saved) != 0) return ErrnoError("read the terminal settings");
  g_saved = saved;
  g_fd = fd;
  std::atomic_signal_fence(std::memory_order_seq_cst);
  g_active = 1;
  struct termios raw = saved;
  ::cfmakeraw(&raw);
  raw.c_cc[VMIN] = 1;
  raw.c_cc[VTIME] = 0;
  int rc;
  do {
    rc = ::tcsetattr(fd, TCSADRAIN, &raw);
  } while (rc != 0 && errno == EINTR);
  if (rc != 0) {
    Error e = ErrnoError("put the terminal in raw mode");
    g_active = 0;
    return e;
  }
  TerminalRawMode guard;
  guard.owner_ = true;
  return guard;
}

TerminalRawMode::TerminalRawMode(TerminalRawMode&& other) noexcept
    : owner_(std::exchange(other.owner_, false)) {}

TerminalRawMode::~TerminalRawMode() { (void)Restore(); }

Status TerminalRawMode::Restore() {
  if (!owner_) return OkStatus();
  owner_ = false;
  if (!g_active) return OkStatus();  // a signal handler restored it already
  g_active = 0;
  int rc;
  do {
    rc = ::tcsetattr(g_fd, TCSADRAIN, &g_saved);
  } while (rc != 0 && errno == EINTR);
  if (rc != 0) return ErrnoError("restore the terminal settings");
  return OkStatus();
}

void TerminalRawMode::RestoreFromSignalHandler() {
  if (!g_active) return;
  const int saved_errno = errno;
  g_active = 0;
  // TCSANOW: a handler must not wait for output to drain to a terminal that may be stuck.
  (void)::tcsetattr(g_fd, TCSANOW, &g_saved);
  errno = saved_errno;
}

}  // namespace cordon
