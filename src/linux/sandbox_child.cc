#include "linux/sandbox_child.h"

#include <fcntl.h>
#include <linux/mount.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstring>

#include "linux/syscalls.h"

namespace cordon {
namespace {

ChildFailure Fail(ChildStage stage, int index = 0) { return ChildFailure{stage, index, errno}; }
constexpr ChildFailure kOk{};

// Holds an fd in the child without UniqueFd's destructor semantics mattering: the child either
// closes fds explicitly or keeps them until exec closes them.
struct ChildFd {
  int fd = -1;
  ~ChildFd() {
    if (fd >= 0) ::close(fd);
  }
};

int SetAttr(int fd, uint64_t set, uint64_t clear, bool recursive) {
  mount_attr attr{};
  attr.attr_set = set;
  attr.attr_clr = clear;
  attr.propagation = MS_PRIVATE;
  return mount_setattr(fd, "", AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0), &attr,
                       sizeof attr);
}

// The path below the new root: "/a/b" -> "a/b".
const char* Relative(const std::string& path) {
  const char* p = path.c_str();
  while (*p == '/') ++p;
  return *p == '\0' ? "." : p;
}

// Opens `rel` below the new root without following any symlink (paths were resolved before
// clone; a symlink appearing now would be a swap, and is refused).
int OpenTarget(int root_fd, const char* rel) {
  return sys_openat2(root_fd, rel, O_PATH | O_CLOEXEC, RESOLVE_NO_SYMLINKS | RESOLVE_BENEATH);
}

// Creates the missing components of `rel` below `root_fd` (used on the empty tmpfs root, where
// mount points for readable roots do not exist yet). The last component is a directory, or an
// empty file when `file` is set.
int MakeMountPoint(int root_fd, const char* rel, bool file) {
  char buf[PATH_MAX];
  size_t len = std::strlen(rel);
  if (len >= sizeof buf) {
    errno = ENAMETOOLONG;
    return -1;
  }
  std::memcpy(buf, rel, len + 1);
  for (size_t i = 0; i <= len; ++i) {
    if (buf[i] != '/' && buf[i] != '\0') continue;
    const bool last = buf[i] == '\0';
    buf[i] = '\0';
    int rc;
    if (last && file) {
      rc = ::openat(root_fd, buf, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0444);
      if (rc >= 0) ::close(rc);
    } else {
      rc = ::mkdirat(root_fd, buf, 0755);
    }
    if (rc < 0 && errno != EEXIST) return -1;
    if (!last) buf[i] = '/';
  }
  return 0;
}

// Creates the directories above the last component of `rel` below `root_fd`.
int MakeParentDirs(int root_fd, const char* rel) {
  char buf[PATH_MAX];
  const size_t len = std::strlen(rel);
  if (len >= sizeof buf) {
    errno = ENAMETOOLONG;
    return -1;
  }
  std::memcpy(buf, rel, len + 1);
  char* slash = std::strrchr(buf, '/');
  if (slash == nullptr) return 0;
  *slash = '\0';
  return MakeMountPoint(root_fd, buf, false);
}

int NewFs(const char* type, const char* options[][2], unsigned int attrs) {
  int fs = fsopen(type, FSOPEN_CLOEXEC);
  if (fs < 0) return -1;
  for (int i = 0; options != nullptr && options[i][0] != nullptr; ++i) {
    if (fsconfig(fs, FSCONFIG_SET_STRING, options[i][0], options[i][1], 0) < 0) {
      int saved = errno;
      ::close(fs);
      errno = saved;
      return -1;
    }
  }
  if (fsconfig(fs, FSCONFIG_CMD_CREATE, nullptr, nullptr, 0) < 0) {
    int saved = errno;
    ::close(fs);
    errno = saved;
    return -1;
  }
  int mnt = fsmount(fs, FSMOUNT_CLOEXEC, attrs);
  int saved = errno;
  ::close(fs);
  errno = saved;
  return mnt;
}

// Moves the detached mount `mnt` onto `rel` below the new root, creating the mount point when
// the new root is our own empty tmpfs.
int AttachAt(int root_fd, int mnt, const char* rel, bool root_is_empty, bool file) {
  int target = OpenTarget(root_fd, rel);
  if (target < 0 && errno == ENOENT && root_is_empty) {
    if (MakeMountPoint(root_fd, rel, file) < 0) return -1;
    target = OpenTarget(root_fd, rel);
  }
  if (target < 0) return -1;
  int rc = move_mount(mnt, "", target, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH);
  int saved = errno;
  ::close(target);
  errno = saved;
  return rc;
}

// Clones the host tree at `source` (resolved in the old root, without following symlinks).
int CloneHostTree(const char* source, bool writable) {
  int path_fd = sys_openat2(AT_FDCWD, source, O_PATH | O_CLOEXEC, RESOLVE_NO_SYMLINKS);
  if (path_fd < 0) return -1;
  int mnt = open_tree(path_fd, "", AT_EMPTY_PATH | OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
  int saved = errno;
  ::close(path_fd);
  errno = saved;
  if (mnt < 0) return -1;
  const uint64_t set = (writable ? 0 : MOUNT_ATTR_RDONLY) | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV;
  if (SetAttr(mnt, set, 0, true) < 0) {
    saved = errno;
    ::close(mnt);
    errno = saved;
    return -1;
  }
  return mnt;
}

bool IsDirectoryPath(const char* path) {
  struct stat st;
  return ::stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

ChildFailure SetUpDev(int root_fd, int index, bool root_is_empty) {
  const char* tmpfs_opts[][2] = {{"mode", "0755"}, {"size", "65536"}, {nullptr, nullptr}};
  ChildFd dev{NewFs("tmpfs", tmpfs_opts, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC)};
  if (dev.fd < 0) return Fail(ChildStage::kMount, index);
  if (AttachAt(root_fd, dev.fd, "dev", root_is_empty, false) < 0) {
    return Fail(ChildStage::kMount, index);
  }
  ChildFd devdir{OpenTarget(root_fd, "dev")};
  if (devdir.fd < 0) return Fail(ChildStage::kMount, index);
  for (int i = 0; i < static_cast<int>(sizeof kDevNodes / sizeof kDevNodes[0]); ++i) {
    char host[32];
    std::snprintf(host, sizeof host, "/dev/%s", kDevNodes[i]);
    int f = ::openat(devdir.fd, kDevNodes[i], O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0666);
    if (f < 0) return Fail(ChildStage::kDevNode, i);
    ::close(f);
    ChildFd node{open_tree(AT_FDCWD, host, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC)};
    if (node.fd < 0) {
      if (errno == ENOENT || errno == ENXIO) continue;  // a host without this node
      return Fail(ChildStage::kDevNode, i);
    }
    if (SetAttr(node.fd, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC, 0, false) < 0 ||
        move_mount(node.fd, "", devdir.fd, kDevNodes[i], MOVE_MOUNT_F_EMPTY_PATH) < 0) {
      return Fail(ChildStage::kDevNode, i);
    }
  }
  static const char* kLinks[][2] = {{"/proc/self/fd", "fd"},     {"/proc/self/fd/0", "stdin"},
                                    {"/proc/self/fd/1", "stdout"}, {"/proc/self/fd/2", "stderr"},
                                    {"pts/ptmx", "ptmx"}};
  for (const auto& link : kLinks) {
    if (::symlinkat(link[0], devdir.fd, link[1]) < 0) return Fail(ChildStage::kMount, index);
  }
  if (::mkdirat(devdir.fd, "pts", 0755) < 0 || ::mkdirat(devdir.fd, "shm", 01777) < 0) {
    return Fail(ChildStage::kMount, index);
  }
  // A private devpts instance: ptys opened in the sandbox are invisible outside and vice versa.
  const char* pts_opts[][2] = {{"newinstance", ""}, {"ptmxmode", "0666"}, {"mode", "0620"},
                               {nullptr, nullptr}};
  int pts_fs = fsopen("devpts", FSOPEN_CLOEXEC);
  if (pts_fs < 0) return Fail(ChildStage::kMount, index);
  ChildFd pts_fs_fd{pts_fs};
  if (fsconfig(pts_fs, FSCONFIG_SET_FLAG, "newinstance", nullptr, 0) < 0 ||
      fsconfig(pts_fs, FSCONFIG_SET_STRING, "ptmxmode", "0666", 0) < 0 ||
      fsconfig(pts_fs, FSCONFIG_SET_STRING, "mode", "0620", 0) < 0 ||
      fsconfig(pts_fs, FSCONFIG_CMD_CREATE, nullptr, nullptr, 0) < 0) {
    return Fail(ChildStage::kMount, index);
  }
  (void)pts_opts;
  ChildFd pts{fsmount(pts_fs, FSMOUNT_CLOEXEC, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC)};
  if (pts.fd < 0 || move_mount(pts.fd, "", devdir.fd, "pts", MOVE_MOUNT_F_EMPTY_PATH) < 0) {
    return Fail(ChildStage::kMount, index);
  }
  const char* shm_opts[][2] = {{"mode", "1777"}, {nullptr, nullptr}};
  ChildFd shm{NewFs("tmpfs", shm_opts, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV)};
  if (shm.fd < 0 || move_mount(shm.fd, "", devdir.fd, "shm", MOVE_MOUNT_F_EMPTY_PATH) < 0) {
    return Fail(ChildStage::kMount, index);
  }
  // /dev itself is fixed from now on: nothing can be added to it.
  ChildFd dev_mnt{OpenTarget(root_fd, "dev")};
  if (dev_mnt.fd < 0 || SetAttr(dev_mnt.fd, MOUNT_ATTR_RDONLY, 0, false) < 0) {
    return Fail(ChildStage::kMount, index);
  }
  return kOk;
}

}  // namespace

ChildFailure SetUpMountsChild(const PreparedSandbox& sandbox) {
  const Plan& plan = sandbox.plan;
  // Nothing done here may propagate back to the host.
  if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) < 0) {
    return Fail(ChildStage::kMountPropagation);
  }
  ChildFd root;
  bool root_is_empty = false;
  ChildFd mask_fs;  // a small read-only tmpfs holding the empty, mode-000 file used by kMaskFile
  for (int i = 0; i < static_cast<int>(plan.mounts.size()); ++i) {
    const MountOp& op = plan.mounts[i];
    switch (op.kind) {
      case MountKind::kRootFromHost:
      case MountKind::kRootEmpty: {
        int mnt;
        if (op.kind == MountKind::kRootFromHost) {
          mnt = CloneHostTree("/", op.writable);
        } else {
          const char* opts[][2] = {{"mode", "0755"}, {nullptr, nullptr}};
          mnt = NewFs("tmpfs", opts, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV);
          root_is_empty = true;
        }
        if (mnt < 0) return Fail(ChildStage::kMount, i);
        root.fd = mnt;
        // Stack the new root on top of "/" and stand in it: relative lookups from here see the
        // new tree, absolute ones still see the host's (the sources of the binds below).
        if (::fchdir(root.fd) < 0 ||
            move_mount(root.fd, "", AT_FDCWD, "/", MOVE_MOUNT_F_EMPTY_PATH) < 0) {
          return Fail(ChildStage::kMount, i);
        }
        if (root_is_empty) {
          for (const auto& [link, target] : plan.root_symlinks) {
            if (MakeParentDirs(root.fd, Relative(link)) < 0 ||
                ::symlinkat(target.c_str(), root.fd, Relative(link)) < 0) {
              return Fail(ChildStage::kMount, i);
            }
          }
        }
        break;
      }
      case MountKind::kBind: {
        ChildFd mnt{CloneHostTree(op.source.c_str(), op.writable)};
        // A placeholder cordon could not create (the command cannot create it either).
        if (mnt.fd < 0 && op.skip_if_missing && errno == ENOENT) break;
        if (mnt.fd < 0) return Fail(ChildStage::kMount, i);
        // Only an empty root needs to know what kind of mount point to make.
        const bool file = root_is_empty && !IsDirectoryPath(op.source.c_str());
        if (AttachAt(root.fd, mnt.fd, Relative(op.target), root_is_empty, file) < 0) {
          return Fail(ChildStage::kMount, i);
        }
        break;
      }
      case MountKind::kMaskDir: {
        if (op.mount_points.empty()) {
          const char* opts[][2] = {{"mode", "0000"}, {"size", "4096"}, {nullptr, nullptr}};
          ChildFd mnt{NewFs("tmpfs", opts,
                            MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV |
                                MOUNT_ATTR_NOEXEC)};
          if (mnt.fd < 0 ||
              AttachAt(root.fd, mnt.fd, Relative(op.target), root_is_empty, false) < 0) {
            if (mnt.fd >= 0 && op.skip_if_missing && errno == ENOENT) break;  // see kBind
            return Fail(ChildStage::kMount, i);
          }
          break;
        }
        // Something is re-opened below the denied directory: make its mount points in the
        // mask's tmpfs while it is still writable, then make it read-only and enter-only (0111:
        // the re-opened paths can be reached, nothing can be listed or created).
        const char* opts[][2] = {{"mode", "0755"}, {"size", "65536"}, {nullptr, nullptr}};
        ChildFd mnt{NewFs("tmpfs", opts, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC)};
        if (mnt.fd < 0) return Fail(ChildStage::kMount, i);
        for (const MountPoint& mp : op.mount_points) {
          if (MakeMountPoint(mnt.fd, mp.rel.c_str(), mp.file) < 0) {
            return Fail(ChildStage::kMount, i);
          }
        }
        if (::fchmodat(mnt.fd, ".", 0111, 0) < 0 ||
            SetAttr(mnt.fd, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV |
                                MOUNT_ATTR_NOEXEC, 0, false) < 0 ||
            AttachAt(root.fd, mnt.fd, Relative(op.target), root_is_empty, false) < 0) {
          return Fail(ChildStage::kMount, i);
        }
        break;
      }
      case MountKind::kMaskFile: {
        if (mask_fs.fd < 0) {
          const char* opts[][2] = {{"mode", "0755"}, {"size", "4096"}, {nullptr, nullptr}};
          mask_fs.fd = NewFs("tmpfs", opts, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC);
          if (mask_fs.fd < 0) return Fail(ChildStage::kMount, i);
          int f = ::openat(mask_fs.fd, "empty", O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0);
          if (f < 0) return Fail(ChildStage::kMount, i);
          ::close(f);
          if (::fchmodat(mask_fs.fd, "empty", 0, 0) < 0) return Fail(ChildStage::kMount, i);
          // Read-only once, here: every clone below inherits it (one syscall less per file).
          if (SetAttr(mask_fs.fd, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV |
                                      MOUNT_ATTR_NOEXEC, 0, false) < 0) {
            return Fail(ChildStage::kMount, i);
          }
        }
        ChildFd mnt{open_tree(mask_fs.fd, "empty", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC)};
        if (mnt.fd < 0 || AttachAt(root.fd, mnt.fd, Relative(op.target), root_is_empty, true) < 0) {
          if (op.skip_if_missing && errno == ENOENT) break;  // gone since planning: nothing to hide
          return Fail(ChildStage::kMount, i);
        }
        break;
      }
      case MountKind::kProc: {
        ChildFd mnt{NewFs("proc", nullptr,
                          MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC)};
        if (mnt.fd < 0 || AttachAt(root.fd, mnt.fd, "proc", root_is_empty, false) < 0) {
          return Fail(ChildStage::kMount, i);
        }
        break;
      }
      case MountKind::kDev: {
        ChildFailure f = SetUpDev(root.fd, i, root_is_empty);
        if (f.stage != ChildStage::kNone) return f;
        break;
      }
    }
  }
  if (root_is_empty && SetAttr(root.fd, MOUNT_ATTR_RDONLY, 0, false) < 0) {
    return Fail(ChildStage::kPivotRoot);
  }
  // Swap roots and drop the host's tree: pivot_root(".", ".") puts the old root on top of the
  // new one, and the lazy unmount removes it (see pivot_root(2), "NOTES").
  if (::fchdir(root.fd) < 0 || sys_pivot_root(".", ".") < 0 ||
      ::umount2(".", MNT_DETACH) < 0 || ::chdir("/") < 0) {
    return Fail(ChildStage::kPivotRoot);
  }
  return kOk;
}

ChildFailure BringUpLoopbackChild() {
  ChildFd sock{::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)};
  if (sock.fd < 0) return Fail(ChildStage::kLoopback);
  ifreq ifr{};
  std::strncpy(ifr.ifr_name, "lo", IFNAMSIZ - 1);
  if (::ioctl(sock.fd, SIOCGIFFLAGS, &ifr) < 0) return Fail(ChildStage::kLoopback);
  ifr.ifr_flags = static_cast<short>(ifr.ifr_flags | IFF_UP | IFF_RUNNING);
  if (::ioctl(sock.fd, SIOCSIFFLAGS, &ifr) < 0) return Fail(ChildStage::kLoopback);
  return kOk;
}

ChildFailure SendNetworkListenersChild(const PreparedSandbox& sandbox, int net_fd) {
  int fds[kMaxNetworkListeners];
  int made = 0;
  auto close_made = [&] {
    for (int i = 0; i < made; ++i) ::close(fds[i]);
  };
  for (int i = 0; i < sandbox.listener_count; ++i) {
    int s = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s < 0) {
      ChildFailure f = Fail(ChildStage::kNetworkListener, i);
      close_made();
      return f;
    }
    fds[made++] = s;
    const int one = 1;
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(sandbox.listener_ports[i]);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
        ::bind(s, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) < 0 ||
        ::listen(s, SOMAXCONN) < 0) {
      ChildFailure f = Fail(ChildStage::kNetworkListener, i);
      close_made();
      return f;
    }
  }
  char byte = 'L';
  iovec iov{&byte, 1};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * kMaxNetworkListeners)];
  std::memset(control, 0, sizeof control);
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = CMSG_SPACE(sizeof(int) * static_cast<size_t>(made));
  cmsghdr* c = CMSG_FIRSTHDR(&msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int) * static_cast<size_t>(made));
  std::memcpy(CMSG_DATA(c), fds, sizeof(int) * static_cast<size_t>(made));
  ssize_t n;
  do {
    n = ::sendmsg(net_fd, &msg, MSG_NOSIGNAL);
  } while (n < 0 && errno == EINTR);
  ChildFailure f = n == 1 ? kOk : Fail(ChildStage::kNetworkListener, 0);
  close_made();  // cordon holds them now; the init has no use for them
  ::close(net_fd);
  return f;
}

ChildFailure ApplyLandlockChild(const PreparedSandbox& sandbox) {
  const LandlockRuleset& rs = sandbox.landlock;
  if (!rs.fd.valid()) return kOk;
  using namespace landlock_fs;
  // Inside-only objects: the private devpts (terminals the command opens) and /dev/shm.
  const uint64_t tty = kReadFile | kWriteFile | (rs.abi >= 5 ? kIoctlDev : 0);
  ChildFd pts{::open("/dev/pts", O_PATH | O_CLOEXEC)};
  if (pts.fd < 0 || LandlockAllowChild(rs, pts.fd, tty) < 0) return Fail(ChildStage::kLandlock);
  ChildFd shm{::open("/dev/shm", O_PATH | O_CLOEXEC)};
  if (shm.fd < 0 || LandlockAllowChild(rs, shm.fd, rs.write_access & ~kIoctlDev) < 0) {
    return Fail(ChildStage::kLandlock);
  }
  // The sandbox's own procfs: under ":root" it is below the granted root; a restricted-read
  // sandbox gets it read-only too (programs read /proc/self). It shows only the sandbox.
  ChildFd proc{::open("/proc", O_PATH | O_CLOEXEC)};
  if (proc.fd < 0 || LandlockAllowChild(rs, proc.fd, kReadFile | kReadDir) < 0) {
    return Fail(ChildStage::kLandlock);
  }
  // An empty root holds only the mount points of what is granted: listing its directories
  // ($HOME after home expansion, /) shows names the mount layer already decided to show.
  // Files below stay readable only where a grant says so.
  if (!sandbox.plan.mounts.empty() && sandbox.plan.mounts.front().kind == MountKind::kRootEmpty) {
    ChildFd root{::open("/", O_PATH | O_CLOEXEC)};
    if (root.fd < 0 || LandlockAllowChild(rs, root.fd, kReadDir) < 0) {
      return Fail(ChildStage::kLandlock);
    }
  }
  if (sys_landlock_restrict_self(rs.fd.get()) < 0) return Fail(ChildStage::kLandlock);
  return kOk;
}

}  // namespace cordon
