#include "linux/sandbox.h"

#include <fcntl.h>
#include <linux/capability.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstring>
#include <map>

#include "base/sys.h"
#include "linux/privileges.h"
#include "linux/sandbox_child.h"
#include "linux/syscalls.h"

namespace cordon {

// ---------------------------------------------------------------------------------------------
// Preparation (host side, may allocate)

PreparedCommand::PreparedCommand(std::vector<std::string> argv, std::vector<std::string> env,
                                 std::string cwd)
    : argv_(std::move(argv)), env_(std::move(env)), cwd_(std::move(cwd)) {
  for (auto& a : argv_) argv_ptrs_.push_back(a.data());
  argv_ptrs_.push_back(nullptr);
  for (auto& e : env_) env_ptrs_.push_back(e.data());
  env_ptrs_.push_back(nullptr);
  std::string path = "/usr/local/bin:/usr/bin:/bin";  // execvp's default when PATH is unset
  for (const auto& e : env_) {
    if (e.rfind("PATH=", 0) == 0) path = e.substr(5);
  }
  size_t start = 0;
  for (;;) {
    size_t end = path.find(':', start);
    std::string dir = path.substr(start, end == std::string::npos ? end : end - start);
    path_dirs_.push_back(dir.empty() ? "." : dir);  // an empty entry means the current directory
    if (end == std::string::npos) break;
    start = end + 1;
  }
}

namespace {

const std::map<std::string, int>& CapabilityNumbers() {
  static const auto* caps =
      new std::map<std::string, int>{{"CAP_CHOWN", CAP_CHOWN},
                                     {"CAP_DAC_OVERRIDE", CAP_DAC_OVERRIDE},
                                     {"CAP_DAC_READ_SEARCH", CAP_DAC_READ_SEARCH},
                                     {"CAP_FOWNER", CAP_FOWNER},
                                     {"CAP_FSETID", CAP_FSETID},
                                     {"CAP_KILL", CAP_KILL}};
  return *caps;
}

}  // namespace

Result<std::unique_ptr<PreparedSandbox>> PrepareSandbox(const Plan& plan) {
  auto prepared = std::make_unique<PreparedSandbox>();
  prepared->plan = plan;
  // Placeholders first: the Landlock rules below are attached to them. Stale ones of runs that
  // were killed are cleaned up first.
  if (!plan.placeholder_registry.empty()) CleanStalePlaceholders(plan.placeholder_registry);
  auto placeholders = HostPlaceholders::Create(plan);
  if (!placeholders) return placeholders.error();
  prepared->placeholders = std::move(*placeholders);
  auto seccomp = CompiledSeccompProgram();
  if (!seccomp) return seccomp.error();
  prepared->seccomp = *seccomp;
  auto landlock = BuildLandlockRuleset(prepared->plan);
  if (!landlock) return landlock.error();
  prepared->landlock = std::move(*landlock);
  for (const auto& name : plan.kept_capabilities) {
    auto it = CapabilityNumbers().find(name);
    if (it == CapabilityNumbers().end()) return PlainError("unknown capability", name);
    prepared->kept_capabilities |= 1ULL << it->second;
  }
  prepared->keep_root_capabilities = !plan.kept_capabilities.empty();
  if (plan.new_network_namespace) {
    const std::vector<uint16_t> ports = plan.network.ListenerPorts();
    if (ports.size() > kMaxNetworkListeners) return PlainError("too many network listeners", "");
    for (uint16_t port : ports) prepared->listener_ports[prepared->listener_count++] = port;
  }
  return prepared;
}

// ---------------------------------------------------------------------------------------------
// Child side (no allocation between clone and exec)

namespace {

[[noreturn]] void ReportAndExit(int error_fd, ChildFailure failure, int status) {
  if (error_fd >= 0) {
    ssize_t ignored = ::write(error_fd, &failure, sizeof failure);
    (void)ignored;
  }
  ::_exit(status);
}

// What every command has before exec: capabilities dropped to the kept set and no_new_privs...
ChildFailure DropPrivileges(const PreparedSandbox& sb) {
  if (DropCapabilities(sb.keep_root_capabilities ? sb.kept_capabilities : 0) < 0) {
    return ChildFailure{ChildStage::kCapabilities, 0, errno};
  }
  if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
    return ChildFailure{ChildStage::kNoNewPrivs, 0, errno};
  }
  return ChildFailure{};
}

// ...and the seccomp filter, installed last (from then on the process is as the command will be).
ChildFailure InstallSeccomp(const PreparedSandbox& sb) {
  sock_fprog prog = sb.seccomp->fprog();
  if (::prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0) < 0) {
    return ChildFailure{ChildStage::kSeccomp, 0, errno};
  }
  return ChildFailure{};
}

}  // namespace

ChildFailure LockDownCurrentProcess(const PreparedSandbox& sb) {
  const ChildFailure f = DropPrivileges(sb);
  return f.stage != ChildStage::kNone ? f : InstallSeccomp(sb);
}

class ChildLauncher {
 public:
  [[noreturn]] static void Exec(const PreparedSandbox& sb, const PreparedCommand& cmd,
                                int error_fd) {
    ChildFailure f = DropPrivileges(sb);
    if (f.stage != ChildStage::kNone) ReportAndExit(error_fd, f, kExitCannotExecute);
    if (::chdir(cmd.cwd_.c_str()) < 0) {
      ReportAndExit(error_fd, ChildFailure{ChildStage::kChdir, 0, errno}, kExitCannotExecute);
    }
    if (::close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) < 0) {
      ReportAndExit(error_fd, ChildFailure{ChildStage::kCloseFds, 0, errno}, kExitCannotExecute);
    }
    f = InstallSeccomp(sb);
    if (f.stage != ChildStage::kNone) ReportAndExit(error_fd, f, kExitCannotExecute);
    const ChildFailure e = ExecSearch(cmd);
    ReportAndExit(error_fd, e, e.err == ENOENT ? kExitNotFound : kExitCannotExecute);
  }

  // Runs execve for `cmd` (a PATH search when argv[0] has no slash); returns only on failure,
  // with the errno that explains it. Does not allocate (safe in a vfork child).
  static ChildFailure ExecSearch(const PreparedCommand& cmd) {
    const char* file = cmd.argv_[0].c_str();
    if (std::strchr(file, '/') != nullptr) {
      ::execve(file, cmd.argv_ptrs_.data(), cmd.env_ptrs_.data());
      return ChildFailure{ChildStage::kExec, 0, errno};
    }
    // execvp's search, against the command's own PATH: remember EACCES, keep looking. Unlike
    // execvp (and like bash), EACCES counts only for a file that exists: a PATH directory this
    // user cannot search (root's PATH kept by sudo or setpriv) means "not found", not "denied".
    int first_error = ENOENT;
    char path[PATH_MAX];
    for (const auto& dir : cmd.path_dirs_) {
      int n = std::snprintf(path, sizeof path, "%s/%s", dir.c_str(), file);
      if (n < 0 || static_cast<size_t>(n) >= sizeof path) continue;
      ::execve(path, cmd.argv_ptrs_.data(), cmd.env_ptrs_.data());
      if (errno == EACCES) {
        struct stat st;
        if (::stat(path, &st) == 0) first_error = EACCES;
      } else if (errno != ENOENT && errno != ENOTDIR) {
        first_error = errno;
        break;
      }
    }
    return ChildFailure{ChildStage::kExec, 0, first_error};
  }

  // The vfork child of SpawnLockedDown. It shares the runner's memory until execve, so it only
  // makes system calls and writes its failure into `a->failure`, which the parent reads after
  // the clone returns (CLONE_VFORK: once the child has exec'd or exited).
  struct VforkArgs {
    const PreparedCommand* command;
    int fds[3];
    bool controlling_terminal;
    ChildFailure failure;
  };
  static int VforkChild(void* p) {
    auto* a = static_cast<VforkArgs*>(p);
    // The signal mask is per task (not shared by CLONE_VM); what the runner blocks is unblocked
    // for the command. The runner's only handler (SIGPIPE, a no-op) is reset by execve.
    sigset_t all;
    sigfillset(&all);
    ::sigprocmask(SIG_UNBLOCK, &all, nullptr);
    auto fail = [a](ChildStage stage, int index) {
      a->failure = ChildFailure{stage, index, errno};
      ::_exit(kExitCannotExecute);
    };
    if (::setsid() < 0) fail(ChildStage::kSession, 0);
    if (a->controlling_terminal && ::ioctl(a->fds[0], TIOCSCTTY, 0) < 0) {
      fail(ChildStage::kSession, 0);
    }
    for (int target = 0; target < 3; ++target) {
      if (a->fds[target] != target && ::dup2(a->fds[target], target) < 0) {
        fail(ChildStage::kCloseFds, target);
      }
    }
    if (::chdir(a->command->cwd_.c_str()) < 0) fail(ChildStage::kChdir, 0);
    if (::close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) < 0) fail(ChildStage::kCloseFds, 0);
    a->failure = ExecSearch(*a->command);
    ::_exit(a->failure.err == ENOENT ? kExitNotFound : kExitCannotExecute);
  }
};

pid_t SpawnLockedDown(const PreparedCommand& command, int stdin_fd, int stdout_fd, int stderr_fd,
                      bool controlling_terminal, ChildFailure* failure) {
  // One stack, reused: CLONE_VFORK suspends the caller until the child has exec'd or exited, so
  // two children never use it at once. 64 KiB holds ExecSearch's PATH_MAX buffer with room.
  static constexpr size_t kStackSize = 64 << 10;
  alignas(16) static char stack[kStackSize];
  ChildLauncher::VforkArgs args{
      &command, {stdin_fd, stdout_fd, stderr_fd}, controlling_terminal, ChildFailure{}};
  const pid_t pid = ::clone(ChildLauncher::VforkChild, stack + kStackSize,
                            CLONE_VM | CLONE_VFORK | SIGCHLD, &args);
  if (pid < 0) {
    *failure = ChildFailure{ChildStage::kFork, 0, errno};
    return -1;
  }
  if (args.failure.stage != ChildStage::kNone) {  // it has exited: reap it here
    while (::waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
    }
    *failure = args.failure;
    return -1;
  }
  return pid;
}

pid_t SpawnInSandbox(const PreparedSandbox& sandbox, const PreparedCommand& command, int error_fd,
                     bool new_session, int stdin_fd, int stdout_fd, int stderr_fd,
                     bool controlling_terminal) {
  // _Fork, not fork: no atfork handlers and no malloc locks to take, since the init may be a
  // copy of a multithreaded cordon (see the INVARIANT in sandbox.h) and the child never
  // allocates before exec.
  pid_t pid = ::_Fork();
  if (pid != 0) return pid;
  // Child: unblock what the init blocks. The init's handlers need no reset: execve restores
  // caught signals to their defaults, while signals cordon was started with ignored (nohup)
  // stay ignored for the command, as they would without cordon.
  sigset_t all;
  sigfillset(&all);
  ::sigprocmask(SIG_UNBLOCK, &all, nullptr);
  if (new_session)
    ::setsid();
  else
    ::setpgid(0, 0);
  if (new_session && controlling_terminal && ::ioctl(stdin_fd, TIOCSCTTY, 0) < 0) {
    ReportAndExit(error_fd, ChildFailure{ChildStage::kSession, 0, errno}, kExitCannotExecute);
  }
  const int fds[3] = {stdin_fd, stdout_fd, stderr_fd};
  for (int target = 0; target < 3; ++target) {
    if (fds[target] != target && ::dup2(fds[target], target) < 0) {
      ReportAndExit(error_fd, ChildFailure{ChildStage::kCloseFds, target, errno},
                    kExitCannotExecute);
    }
  }
  ChildLauncher::Exec(sandbox, command, error_fd);
}

namespace {

struct ChildArgs {
  const PreparedSandbox* sandbox;
  InitMain init;
  void* arg;
  int sync_fd;
  int control_fd;
  int error_fd;
  int net_fd;  // -1 unless the plan has network listeners
};

[[noreturn]] void ChildMain(const ChildArgs& a) {
  // If cordon dies, even by SIGKILL, the init dies, and with it every process in its PID
  // namespace. The parent may already be gone: the sync read below then sees end of file.
  ::prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  char byte;
  ssize_t n;
  do {
    n = ::read(a.sync_fd, &byte, 1);
  } while (n < 0 && errno == EINTR);
  if (n != 1)
    ReportAndExit(a.error_fd, ChildFailure{ChildStage::kSync, 0, n < 0 ? errno : EPIPE}, 1);
  ::close(a.sync_fd);

  ChildFailure f = SetUpMountsChild(*a.sandbox);
  if (f.stage != ChildStage::kNone) ReportAndExit(a.error_fd, f, 1);
  if (a.sandbox->plan.new_network_namespace) {
    f = BringUpLoopbackChild();
    if (f.stage != ChildStage::kNone) ReportAndExit(a.error_fd, f, 1);
    if (a.net_fd >= 0) {
      // Before Landlock: binding the listeners is cordon's act, not the command's.
      f = SendNetworkListenersChild(*a.sandbox, a.net_fd);
      if (f.stage != ChildStage::kNone) ReportAndExit(a.error_fd, f, 1);
    }
  }
  f = ApplyLandlockChild(*a.sandbox);
  if (f.stage != ChildStage::kNone) ReportAndExit(a.error_fd, f, 1);
  // The init lives in a session of its own, away from cordon's terminal; commands get a new
  // session or a pty of their own from it.
  if (::setsid() < 0) ReportAndExit(a.error_fd, ChildFailure{ChildStage::kSession, 0, errno}, 1);
  // Not dumpable: a command cannot ptrace the init or read its memory through /proc/1.
  ::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  ::_exit(a.init(a.arg, *a.sandbox, a.control_fd, a.error_fd));
}

// Receives the init's listeners: one message, `count` fds. End of file (the init failed before
// sending) yields none; WaitReady then reports the failure.
Result<std::vector<UniqueFd>> ReceiveNetworkListeners(int fd, int count) {
  char byte;
  iovec iov{&byte, 1};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * kMaxNetworkListeners)];
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  ssize_t n;
  do {
    n = ::recvmsg(fd, &msg, MSG_CMSG_CLOEXEC);
  } while (n < 0 && errno == EINTR);
  if (n < 0) return ErrnoError("receive the sandbox's network listeners");
  std::vector<UniqueFd> fds;
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
    const size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    for (size_t i = 0; i < k; ++i) {
      int received;
      std::memcpy(&received, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
      fds.emplace_back(received);
    }
  }
  if (n == 0) return std::vector<UniqueFd>{};
  if (static_cast<int>(fds.size()) != count || (msg.msg_flags & MSG_CTRUNC) != 0) {
    return PlainError("receive the sandbox's network listeners",
                      "expected " + std::to_string(count) + ", got " + std::to_string(fds.size()));
  }
  return fds;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Host side

Sandbox::Sandbox(Sandbox&& o) noexcept
    : prepared_(o.prepared_),
      pid_(std::exchange(o.pid_, -1)),
      pidfd_(std::move(o.pidfd_)),
      control_(std::move(o.control_)),
      error_(std::move(o.error_)),
      listeners_(std::move(o.listeners_)),
      reaped_(std::exchange(o.reaped_, true)) {}

Sandbox& Sandbox::operator=(Sandbox&& o) noexcept {
  if (this != &o) {
    if (pid_ > 0 && !reaped_) Reap(true);
    prepared_ = o.prepared_;
    pid_ = std::exchange(o.pid_, -1);
    pidfd_ = std::move(o.pidfd_);
    control_ = std::move(o.control_);
    error_ = std::move(o.error_);
    listeners_ = std::move(o.listeners_);
    reaped_ = std::exchange(o.reaped_, true);
  }
  return *this;
}

Sandbox::~Sandbox() {
  if (pid_ > 0 && !reaped_) Reap(true);
}

void Sandbox::Signal(int sig) {
  if (pidfd_.valid()) sys_pidfd_send_signal(pidfd_.get(), sig);
}

int Sandbox::Reap(bool kill) {
  if (pid_ <= 0 || reaped_) return 0;
  if (kill) Signal(SIGKILL);
  int status = 0;
  while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  reaped_ = true;
  return status;
}

Result<ChildFailure> Sandbox::WaitReady() {
  ChildFailure failure;
  auto n = ReadFull(error_.get(), &failure, sizeof failure);
  error_.reset();
  if (!n) return n.error();
  if (*n == 0) return ChildFailure{};
  if (*n != sizeof failure) {
    return PlainError("start the sandbox", "the init reported a truncated failure");
  }
  return failure;
}

Result<Sandbox> Sandbox::Start(const PreparedSandbox& prepared, InitMain init, void* arg) {
  auto sync = SysPipe();
  if (!sync) return sync.error();
  auto error = SysPipe();
  if (!error) return error.error();
  auto control = SysSocketpair(SOCK_SEQPACKET);
  if (!control) return control.error();
  // The init sends its loopback listeners over this one (SCM_RIGHTS), when there are any.
  UniqueFd net_host, net_child;
  if (prepared.listener_count > 0) {
    auto net = SysSocketpair(SOCK_SEQPACKET);
    if (!net) return net.error();
    net_host = std::move(net->read);
    net_child = std::move(net->write);
  }

  const Plan& plan = prepared.plan;
  uint64_t flags = CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS |
                   CLONE_NEWCGROUP | CLONE_PIDFD;
  if (plan.new_network_namespace) flags |= CLONE_NEWNET;
  int pidfd = -1;
  clone_args args{};
  args.flags = flags;
  args.pidfd = reinterpret_cast<uint64_t>(&pidfd);
  args.exit_signal = SIGCHLD;
  ChildArgs child{&prepared,
                  init,
                  arg,
                  sync->read.get(),
                  control->write.get(),
                  error->write.get(),
                  net_child.valid() ? net_child.get() : -1};
  long pid = sys_clone3(&args);
  if (pid < 0) {
    return ErrnoError(
        "create the sandbox's namespaces (clone3 with user, mount, pid, ipc, uts, "
        "cgroup" +
        std::string(plan.new_network_namespace ? ", net" : "") + ")");
  }
  if (pid == 0) ChildMain(child);

  Sandbox sandbox;
  sandbox.prepared_ = &prepared;
  sandbox.pid_ = static_cast<pid_t>(pid);
  sandbox.pidfd_.reset(pidfd);
  sandbox.control_ = std::move(control->read);
  sandbox.error_ = std::move(error->read);
  control->write.reset();
  error->write.reset();
  sync->read.reset();
  net_child.reset();

  // Identity maps (see user_namespaces(7)): as root, every id maps to itself; otherwise only our
  // own uid and gid, after setgroups is denied as the kernel requires.
  const std::string proc = "/proc/" + std::to_string(pid);
  auto map = [](const IdMapping& m) {
    return std::to_string(m.inside) + " " + std::to_string(m.outside) + " " +
           std::to_string(m.count) + "\n";
  };
  if (plan.deny_setgroups) {
    Status st = WriteStringToFile(proc + "/setgroups", "deny");
    if (!st) return ErrnoError(st.error().err, "write " + proc + "/setgroups");
  }
  Status st = WriteStringToFile(proc + "/uid_map", map(plan.uid_map));
  if (!st) return ErrnoError(st.error().err, "map user ids into the sandbox (uid_map)");
  st = WriteStringToFile(proc + "/gid_map", map(plan.gid_map));
  if (!st) return ErrnoError(st.error().err, "map group ids into the sandbox (gid_map)");
  st = WriteAll(sync->write.get(), "1");
  if (!st) return st.error();
  if (net_host.valid()) {
    auto listeners = ReceiveNetworkListeners(net_host.get(), prepared.listener_count);
    if (!listeners) return listeners.error();
    sandbox.listeners_ = std::move(*listeners);
  }
  return sandbox;
}

// ---------------------------------------------------------------------------------------------

Error DescribeChildFailure(const Plan& plan, const ChildFailure& f, const std::string& argv0) {
  std::string op;
  std::string path;
  switch (f.stage) {
    case ChildStage::kNone:
      op = "start the sandbox";
      break;
    case ChildStage::kSync:
      op = "start the sandbox (cordon went away during set-up)";
      break;
    case ChildStage::kMountPropagation:
      op = "make the sandbox's mount tree private";
      break;
    case ChildStage::kMount: {
      if (f.index < 0 || f.index >= static_cast<int>(plan.mounts.size())) {
        op = "mount";
        break;
      }
      const MountOp& m = plan.mounts[f.index];
      path = m.target;
      switch (m.kind) {
        case MountKind::kRootFromHost:
          op = std::string("clone the host's root ") + (m.writable ? "writable" : "read-only");
          break;
        case MountKind::kRootEmpty:
          op = "create the sandbox's empty root";
          break;
        case MountKind::kBind:
          op = "bind " + m.source + (m.writable ? " writable" : " read-only");
          break;
        case MountKind::kMaskDir:
          op = "hide directory " + m.target;
          break;
        case MountKind::kMaskFile:
          op = "hide file " + m.target;
          break;
        case MountKind::kProc:
          op = "mount a new /proc";
          break;
        case MountKind::kDev:
          op = "set up /dev";
          break;
      }
      break;
    }
    case ChildStage::kDevNode: {
      const int count = static_cast<int>(sizeof kDevNodes / sizeof kDevNodes[0]);
      path = "/dev/" + std::string(f.index >= 0 && f.index < count ? kDevNodes[f.index] : "?");
      op = "bind " + path + " into the sandbox";
      break;
    }
    case ChildStage::kPivotRoot:
      op = "switch to the sandbox's root (pivot_root)";
      break;
    case ChildStage::kLoopback:
      op = "bring up the loopback interface";
      break;
    case ChildStage::kLandlock:
      op = "apply the Landlock ruleset";
      break;
    case ChildStage::kSession:
      op = "start a new session";
      break;
    case ChildStage::kFork:
      op = "start the command";
      break;
    case ChildStage::kCapabilities:
      op = "drop capabilities";
      break;
    case ChildStage::kNoNewPrivs:
      op = "set no_new_privs";
      break;
    case ChildStage::kSeccomp:
      op = "install the seccomp filter";
      break;
    case ChildStage::kChdir:
      op = "change to directory " + plan.cwd;
      path = plan.cwd;
      break;
    case ChildStage::kCloseFds:
      op = "close inherited file descriptors";
      break;
    case ChildStage::kExec:
      op = "execute " + (argv0.empty() ? (plan.argv.empty() ? "" : plan.argv[0]) : argv0);
      break;
    case ChildStage::kNetworkListener: {
      const std::vector<uint16_t> ports = plan.network.ListenerPorts();
      op =
          "listen on 127.0.0.1:" +
          (f.index >= 0 && f.index < static_cast<int>(ports.size()) ? std::to_string(ports[f.index])
                                                                    : std::string("?")) +
          " inside the sandbox (network proxy/host port)";
      break;
    }
  }
  return ErrnoError(f.err, op, path);
}

}  // namespace cordon
