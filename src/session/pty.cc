// PTY helpers: see pty.h. Man pages: pty(7), posix_openpt(3), ioctl_tty(2).
#include "session/pty.h"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdlib>

namespace cordon {

Result<Pty> OpenPty(uint16_t rows, uint16_t cols) {
  Pty pty;
  pty.master.reset(::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC));
  if (!pty.master) return ErrnoError("open a pseudo-terminal (posix_openpt)");
  if (::grantpt(pty.master.get()) != 0) return ErrnoError("grantpt");
  if (::unlockpt(pty.master.get()) != 0) return ErrnoError("unlockpt");
  char name[PATH_MAX];
  if (int err = ::ptsname_r(pty.master.get(), name, sizeof name); err != 0) {
    return ErrnoError(err, "ptsname");
  }
  pty.slave_path = name;
  int slave = ::ioctl(pty.master.get(), TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (slave < 0) {
    // Kernels before 4.13: open by path (correct as long as our /dev/pts is the master's).
    slave = ::open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (slave < 0) return ErrnoError("open the pty slave " + pty.slave_path, pty.slave_path);
  }
  pty.slave.reset(slave);
  CORDON_TRY(SetWindowSize(pty.master.get(), rows, cols));
  return pty;
}

Status SetWindowSize(int fd, uint16_t rows, uint16_t cols) {
  winsize ws{};
  ws.ws_row = rows;
  ws.ws_col = cols;
  if (::ioctl(fd, TIOCSWINSZ, &ws) != 0) return ErrnoError("set the terminal size (TIOCSWINSZ)");
  return OkStatus();
}

Result<WindowSize> GetWindowSize(int fd) {
  winsize ws{};
  if (::ioctl(fd, TIOCGWINSZ, &ws) != 0) return ErrnoError("get the terminal size (TIOCGWINSZ)");
  return WindowSize{ws.ws_row, ws.ws_col};
}

int AttachControllingTerminal(int slave_fd) {
  if (::setsid() < 0) return errno;
  if (::ioctl(slave_fd, TIOCSCTTY, 0) != 0) return errno;
  for (int target = 0; target <= 2; ++target) {
    if (slave_fd == target) {
      // Keep it, but make sure it survives exec.
      int flags = ::fcntl(slave_fd, F_GETFD);
      if (flags < 0 || ::fcntl(slave_fd, F_SETFD, flags & ~FD_CLOEXEC) != 0) return errno;
      continue;
    }
    while (::dup2(slave_fd, target) < 0) {
      if (errno != EINTR) return errno;
    }
  }
  return 0;
}

}  // namespace cordon
