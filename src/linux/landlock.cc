#include "linux/landlock.h"

#include <fcntl.h>
#include <sys/stat.h>

#include <cerrno>

#include "linux/syscalls.h"

namespace cordon {
namespace {

uint64_t HandledFs(int abi) {
  using namespace landlock_fs;
  uint64_t all = kExecute | kWriteFile | kReadFile | kReadDir | kRemoveDir | kRemoveFile |
                 kMakeChar | kMakeDir | kMakeReg | kMakeSock | kMakeFifo | kMakeBlock | kMakeSym;
  if (abi >= 2) all |= kRefer;
  if (abi >= 3) all |= kTruncate;
  if (abi >= 5) all |= kIoctlDev;
  return all;
}

int AddPath(int ruleset_fd, int fd, uint64_t access) {
  sys_landlock_path_beneath_attr attr{};
  attr.allowed_access = access;
  attr.parent_fd = fd;
  return sys_landlock_add_rule(ruleset_fd, kLandlockRulePathBeneath, &attr);
}

}  // namespace

int LandlockAbi() {
  static const int abi = [] {
    int v = sys_landlock_create_ruleset(nullptr, 0, kLandlockCreateRulesetVersion);
    return v < 0 ? 0 : v;
  }();
  return abi;
}

int LandlockAllowChild(const LandlockRuleset& ruleset, int fd, uint64_t access) {
  if (!ruleset.fd.valid()) return 0;
  return AddPath(ruleset.fd.get(), fd, access);
}

Result<LandlockRuleset> BuildLandlockRuleset(const Plan& plan) {
  LandlockRuleset out;
  out.abi = LandlockAbi();
  if (out.abi == 0) return out;
  using namespace landlock_fs;
  const uint64_t handled = HandledFs(out.abi);
  out.read_access = kExecute | kReadFile | kReadDir;
  out.write_access = handled;

  sys_landlock_ruleset_attr attr{};
  attr.handled_access_fs = handled;
  size_t size = sizeof(uint64_t);
  if (out.abi >= 4) {
    // TCP is handled only when the plan denies it; otherwise the network namespace (or nothing,
    // for "full") decides, and handling it here would block what the policy allows.
    if (plan.landlock_tcp_denied)
      attr.handled_access_net = landlock_net::kBindTcp | landlock_net::kConnectTcp;
    size = 2 * sizeof(uint64_t);
  }
  if (out.abi >= 6) {
    // Abstract unix sockets and signals are scoped to the sandbox: a command cannot reach an
    // abstract socket or signal a process outside (the network namespace already separates
    // abstract sockets when it is used; this also covers "full" network mode).
    attr.scoped = landlock_scope::kAbstractUnixSocket | landlock_scope::kSignal;
    size = sizeof attr;
  }
  int fd = sys_landlock_create_ruleset(&attr, size, 0);
  if (fd < 0) return ErrnoError("create a Landlock ruleset");
  out.fd.reset(fd);

  // TCP connect to the listeners on the sandbox's loopback (proxies, host ports) stays possible
  // when TCP is otherwise denied.
  if (out.abi >= 4 && plan.landlock_tcp_denied) {
    for (uint16_t port : plan.landlock_tcp_connect_ports) {
      sys_landlock_net_port_attr net{};
      net.allowed_access = landlock_net::kConnectTcp;
      net.port = port;
      if (sys_landlock_add_rule(out.fd.get(), kLandlockRuleNetPort, &net) != 0) {
        return ErrnoError("add Landlock rule for TCP port " + std::to_string(port));
      }
    }
  }
  for (const auto& grant : plan.landlock) {
    int pfd = ::open(grant.path.c_str(), O_PATH | O_CLOEXEC);
    if (pfd < 0) {
      if (errno == ENOENT) continue;
      return ErrnoError("open " + grant.path + " for Landlock", grant.path);
    }
    UniqueFd path_fd(pfd);
    struct stat st;
    uint64_t access = grant.write ? out.write_access : out.read_access;
    if (::fstat(pfd, &st) == 0 && !S_ISDIR(st.st_mode)) {
      // Rules on files may carry file rights only.
      access &= kExecute | kWriteFile | kReadFile | kTruncate | kIoctlDev;
    }
    if (AddPath(out.fd.get(), pfd, access) != 0) {
      return ErrnoError("add Landlock rule for " + grant.path, grant.path);
    }
  }
  // The host device nodes bound into the sandbox's /dev: usable for reading and writing.
  for (const char* dev :
       {"/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom", "/dev/tty"}) {
    int pfd = ::open(dev, O_PATH | O_CLOEXEC);
    if (pfd < 0) continue;
    UniqueFd path_fd(pfd);
    AddPath(out.fd.get(), pfd, kReadFile | kWriteFile | (out.abi >= 5 ? kIoctlDev : 0));
  }
  // The files behind stdin/stdout/stderr: the command already holds them open, so re-opening
  // them by name (/dev/stdout, /proc/self/fd/1) grants nothing new.
  for (int std_fd = 0; std_fd <= 2; ++std_fd) {
    struct stat st;
    if (::fstat(std_fd, &st) != 0 || !(S_ISREG(st.st_mode) || S_ISCHR(st.st_mode))) continue;
    char link[32];
    snprintf(link, sizeof link, "/proc/self/fd/%d", std_fd);
    int pfd = ::open(link, O_PATH | O_CLOEXEC);
    if (pfd < 0) continue;
    UniqueFd path_fd(pfd);
    uint64_t access = kReadFile | kWriteFile;
    if (out.abi >= 3) access |= kTruncate;
    if (out.abi >= 5 && S_ISCHR(st.st_mode)) access |= kIoctlDev;
    AddPath(out.fd.get(), pfd, access);
  }
  return out;
}

Result<int> RestrictHelperToReading(const std::vector<std::string>& readable) {
  const int abi = LandlockAbi();
  if (abi == 0) return 0;
  using namespace landlock_fs;
  sys_landlock_ruleset_attr attr{};
  attr.handled_access_fs = HandledFs(abi);
  size_t size = sizeof(uint64_t);
  if (abi >= 6) {
    attr.scoped = landlock_scope::kAbstractUnixSocket | landlock_scope::kSignal;
    size = sizeof attr;
  }
  const int fd = sys_landlock_create_ruleset(&attr, size, 0);
  if (fd < 0) return ErrnoError("create a Landlock ruleset");
  UniqueFd ruleset(fd);
  for (const std::string& path : readable) {
    const int pfd = ::open(path.c_str(), O_PATH | O_CLOEXEC);
    if (pfd < 0) {
      if (errno == ENOENT || errno == ENOTDIR) continue;
      return ErrnoError("open " + path + " for Landlock", path);
    }
    UniqueFd path_fd(pfd);
    struct stat st;
    if (::fstat(pfd, &st) != 0) return ErrnoError("stat " + path, path);
    const uint64_t access = S_ISDIR(st.st_mode) ? (kReadFile | kReadDir) : kReadFile;
    if (AddPath(ruleset.get(), pfd, access) != 0) {
      return ErrnoError("add Landlock rule for " + path, path);
    }
  }
  if (sys_landlock_restrict_self(ruleset.get()) != 0) return ErrnoError("apply Landlock");
  return abi;
}

}  // namespace cordon
