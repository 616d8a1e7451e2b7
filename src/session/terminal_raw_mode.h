// TerminalRawMode: puts the user's terminal in raw mode for `cordon exec --tty` (every key,
// Ctrl-C included, goes to the PTY inside the sandbox) and restores it on every exit path: when
// the guard is dropped or Restore()d, and from a signal handler through
// RestoreFromSignalHandler(), which only calls tcsetattr(3) (async-signal-safe per POSIX) on a
// termios saved in static storage. At most one guard is active per process.
//
// Note: tcsetattr from a background process group raises SIGTTOU; enter raw mode only while
// cordon is in the terminal's foreground group.
#pragma once

#include "base/result.h"

namespace cordon {

class TerminalRawMode {
 public:
  // Saves the terminal's settings and switches it to raw mode (cfmakeraw: no echo, no line
  // editing, no signal keys, no output processing, 8-bit). EBUSY if a guard is already active;
  // ENOTTY if `fd` is not a terminal.
  static Result<TerminalRawMode> Enter(int fd);

  TerminalRawMode(TerminalRawMode&& other) noexcept;
  TerminalRawMode& operator=(TerminalRawMode&&) = delete;
  TerminalRawMode(const TerminalRawMode&) = delete;
  TerminalRawMode& operator=(const TerminalRawMode&) = delete;
  ~TerminalRawMode();

  // Puts the saved settings back (idempotent).
  Status Restore();

  // For signal handlers (SIGTERM, SIGINT, SIGHUP, SIGQUIT, fatal signals) and atexit: restores the
  // saved settings if a guard is active. Async-signal-safe; errno is preserved.
  static void RestoreFromSignalHandler();

 private:
  TerminalRawMode() = default;
  bool owner_ = false;
};

}  // namespace cordon
