#include "base/sys.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

namespace cordon {

Result<UniqueFd> SysOpen(const std::string& path, int flags, mode_t mode) {
  return SysOpenAt(AT_FDCWD, path, flags, mode);
}

Result<UniqueFd> SysOpenAt(int dirfd, const std::string& path, int flags, mode_t mode) {
  for (;;) {
    int fd = ::openat(dirfd, path.c_str(), flags | O_CLOEXEC, mode);
    if (fd >= 0) return UniqueFd(fd);
    if (errno != EINTR) return ErrnoError("open " + path, path);
  }
}

Result<FdPair> SysPipe(int flags) {
  int fds[2];
  if (::pipe2(fds, flags | O_CLOEXEC) != 0) return ErrnoError("create a pipe");
  return FdPair{UniqueFd(fds[0]), UniqueFd(fds[1])};
}

Result<FdPair> SysSocketpair(int type) {
  int fds[2];
  if (::socketpair(AF_UNIX, type | SOCK_CLOEXEC, 0, fds) != 0) {
    return ErrnoError("create a socketpair");
  }
  return FdPair{UniqueFd(fds[0]), UniqueFd(fds[1])};
}

Result<size_t> ReadFull(int fd, void* buf, size_t len) {
  size_t done = 0;
  auto* out = static_cast<char*>(buf);
  while (done < len) {
    ssize_t n = ::read(fd, out + done, len - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoError("read");
    }
    if (n == 0) break;
    done += static_cast<size_t>(n);
  }
  return done;
}

Status WriteAll(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoError("write");
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return OkStatus();
}

Status MakeDirs(const std::string& path, mode_t mode) {
  for (size_t i = 1; i <= path.size(); ++i) {
    if (i != path.size() && path[i] != '/') continue;
    const std::string part = path.substr(0, i);
    if (::mkdir(part.c_str(), mode) != 0 && errno != EEXIST) {
      return ErrnoError("create " + part, part);
    }
  }
  return OkStatus();
}

Result<std::string> ReadFileToString(const std::string& path) {
  auto fd = SysOpen(path, O_RDONLY);
  if (!fd) return fd.error();
  std::string out;
  char buf[8192];
  for (;;) {
    ssize_t n = ::read(fd->get(), buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoError("read " + path, path);
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

Status WriteStringToFile(const std::string& path, std::string_view data) {
  auto fd = SysOpen(path, O_WRONLY);
  if (!fd) return fd.error();
  Status st = WriteAll(fd->get(), data);
  if (!st) return ErrnoError(st.error().err, "write " + path, path);
  return OkStatus();
}

}  // namespace cordon
