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

// A ruleset handling every filesystem right of `abi`, the TCP rights in `handled_net` (ABI 4+)
// and, at ABI 6+, scoping abstract unix sockets and signals to the domain: a process cannot
// reach an abstract socket or signal a process outside it.
Result<UniqueFd> CreateRuleset(int abi, uint64_t handled_net) {
  sys_landlock_ruleset_attr attr{};
  attr.handled_access_fs = HandledFs(abi);
  size_t size = sizeof(uint64_t);
  if (abi >= 4) {
    attr.handled_access_net = handled_net;
    size = 2 * sizeof(uint64_t);
  }
  if (abi >= 6) {
    attr.scoped = landlock_scope::kAbstractUnixSocket | landlock_scope::kSignal;
    size = sizeof attr;
  }
  const int fd = sys_landlock_create_ruleset(&attr, size, 0);
  if (fd < 0) return ErrnoError("create a Landlock ruleset");
  return UniqueFd(fd);
}

// Grants `access` beneath `path` (file rights only, when it is not a directory: the kernel
// refuses others on a file). A path that does not exist is skipped.
Status GrantPath(int ruleset_fd, const std::string& path, uint64_t access) {
  using namespace landlock_fs;
  const int pfd = ::open(path.c_str(), O_PATH | O_CLOEXEC);
  if (pfd < 0) {
    if (errno == ENOENT) return OkStatus();
    return ErrnoError("open " + path + " for Landlock", path);
  }
  UniqueFd path_fd(pfd);
  struct stat st;
  if (::fstat(pfd, &st) == 0 && !S_ISDIR(st.st_mode)) {
    access &= kExecute | kWriteFile | kReadFile | kTruncate | kIoctlDev;
  }
  if (AddPath(ruleset_fd, pfd, access) != 0) {
    return ErrnoError("add Landlock rule for " + path, path);
  }
  return OkStatus();
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

  // TCP is handled only when the plan denies it; otherwise the network namespace (or nothing,
  // for "full") decides, and handling it here would block what the policy allows. Abstract
  // sockets and signals are scoped to the sandbox (the network namespace already separates
  // abstract sockets when it is used; this also covers "full" network mode).
  auto ruleset = CreateRuleset(
      out.abi, plan.landlock_tcp_denied ? landlock_net::kBindTcp | landlock_net::kConnectTcp : 0);
  if (!ruleset) return ruleset.error();
  out.fd = std::move(*ruleset);

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
    CORDON_TRY(
        GrantPath(out.fd.get(), grant.path, grant.write ? out.write_access : out.read_access));
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
  auto ruleset = CreateRuleset(abi, 0);
  if (!ruleset) return ruleset.error();
  for (const std::string& path : readable) {
    CORDON_TRY(GrantPath(ruleset->get(), path, landlock_fs::kReadFile | landlock_fs::kReadDir));
  }
  if (sys_landlock_restrict_self(ruleset->get()) != 0) return ErrnoError("apply Landlock");
  return abi;
}

}  // namespace cordon
