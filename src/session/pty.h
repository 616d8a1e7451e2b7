// Pseudo-terminals for PTY sessions: open a pair, size it, and (in a forked child, before exec)
// make the slave the child's controlling terminal in a new session. Resizing the master with
// SetWindowSize() makes the kernel send SIGWINCH to the terminal's foreground process group.
#pragma once

#include <cstdint>
#include <string>

#include "base/result.h"
#include "base/unique_fd.h"

namespace cordon {

struct Pty {
  UniqueFd master;         // O_RDWR, close-on-exec; the side cordon (or the runner) reads/writes
  UniqueFd slave;          // O_RDWR|O_NOCTTY, close-on-exec; the side the process gets
  std::string slave_path;  // e.g. "/dev/pts/3", as seen in the caller's mount namespace
};

// Opens a new pair (posix_openpt, grantpt, unlockpt) with the given size. The slave is opened
// from the master with TIOCGPTPEER (Linux 4.13), which does not depend on /dev/pts paths and so
// works inside a sandbox with its own devpts; falls back to opening slave_path.
Result<Pty> OpenPty(uint16_t rows = 24, uint16_t cols = 80);

struct WindowSize {
  uint16_t rows = 0;
  uint16_t cols = 0;
};
// TIOCSWINSZ / TIOCGWINSZ on either side of a PTY (or on the user's terminal).
Status SetWindowSize(int fd, uint16_t rows, uint16_t cols);
Result<WindowSize> GetWindowSize(int fd);

// For a forked child, between fork and exec: setsid(), the slave becomes the controlling terminal
// (TIOCSCTTY) and stdin, stdout and stderr. Async-signal-safe and allocation-free; returns 0 or
// the errno of the failing step (report it over the child's error pipe; do not continue).
int AttachControllingTerminal(int slave_fd);

}  // namespace cordon
