#include "plan/seccomp_policy.h"

#include <sys/ioctl.h>
#include <sys/socket.h>

#include <cerrno>

namespace cordon {
namespace {

std::vector<SeccompBlock> MakeBlocks() {
  using C = SeccompCondition;
  std::vector<SeccompBlock> b;
  auto add = [&](const char* name, const char* reason, int err = EPERM) {
    b.push_back({name, C::kAlways, 0, err, reason});
  };
  // Asynchronous I/O rings bypass the syscall layer this filter sees, and io_uring has been the
  // source of a long series of kernel privilege escalations.
  add("io_uring_setup", "io_uring: bypasses seccomp for the operations it queues; frequent LPE source");
  add("io_uring_enter", "io_uring: see io_uring_setup");
  add("io_uring_register", "io_uring: see io_uring_setup");
  // Terminal input injection: a command could type into the user's shell.
  b.push_back({"ioctl", C::kIoctlRequest, TIOCSTI, EPERM,
               "TIOCSTI pushes bytes into a terminal's input queue (types into the user's shell)"});
  b.push_back({"ioctl", C::kIoctlRequest, TIOCLINUX, EPERM,
               "TIOCLINUX can inject input and read the screen of a virtual console"});
  // Mount-family calls: the mount plan is final once the command starts.
  for (const char* m : {"mount", "umount2", "pivot_root", "chroot", "move_mount", "open_tree",
                        "fsopen", "fsconfig", "fsmount", "fspick", "mount_setattr"}) {
    add(m, "mount-family call: the sandbox's filesystem view is fixed before the command starts");
  }
  // New namespaces: nested user namespaces hand out capabilities over fresh kernel objects, the
  // most common first step of container escapes; setns would join another namespace.
  add("unshare", "new namespaces (user namespaces especially) expose kernel surface for escapes");
  add("setns", "joining another namespace");
  b.push_back({"clone", C::kNamespaceFlags, 0, EPERM,
               "clone with CLONE_NEW* flags creates namespaces (see unshare)"});
  // clone3 passes its flags in memory that seccomp cannot inspect; ENOSYS makes libc fall back
  // to clone(), whose flags the rule above checks.
  add("clone3", "flags live in memory seccomp cannot read; ENOSYS makes libc fall back to clone",
      ENOSYS);
  // Kernel keyrings are not namespaced: they could leak or plant host credentials.
  add("add_key", "kernel keyrings are shared with the host");
  add("request_key", "kernel keyrings are shared with the host");
  add("keyctl", "kernel keyrings are shared with the host");
  add("bpf", "eBPF programs: large kernel attack surface, tracing of other processes");
  add("perf_event_open", "performance events: side channels and a history of kernel bugs");
  add("userfaultfd", "lets a process stall kernel page faults at will, a standard exploit primitive");
  add("init_module", "kernel module loading");
  add("finit_module", "kernel module loading");
  add("delete_module", "kernel module unloading");
  add("kexec_load", "replacing the running kernel");
  add("kexec_file_load", "replacing the running kernel");
  add("reboot", "host power state");
  add("swapon", "host swap configuration");
  add("swapoff", "host swap configuration");
  add("syslog", "the kernel log can leak addresses and host activity");
  add("acct", "host process accounting");
  add("settimeofday", "the clock is shared with the host");
  add("clock_settime", "the clock is shared with the host");
  add("clock_adjtime", "the clock is shared with the host");
  add("adjtimex", "the clock is shared with the host");
  add("quotactl", "host filesystem quotas");
  add("quotactl_fd", "host filesystem quotas");
  add("nfsservctl", "kernel NFS server control");
  add("open_by_handle_at", "opens files by handle, bypassing the mount view (the 'shocker' escape)");
  add("name_to_handle_at", "produces handles for open_by_handle_at");
  add("iopl", "raw I/O port access");
  add("ioperm", "raw I/O port access");
  add("lookup_dcookie", "kernel profiling interface with a history of bugs");
  add("vhangup", "hangs up the controlling terminal of other processes");
  add("fanotify_init", "filesystem-wide event monitoring");
  add("uselib", "obsolete loader interface");
  b.push_back({"socket", C::kSocketFamily, 0, EAFNOSUPPORT,
               "socket families other than unix, inet, inet6 and netlink (vsock reaches the "
               "hypervisor and is not network-namespaced; packet, bluetooth, ... are rarely "
               "needed and often buggy)"});
  return b;
}

}  // namespace

const std::vector<SeccompBlock>& SeccompBlocks() {
  static const auto* blocks = new std::vector<SeccompBlock>(MakeBlocks());
  return *blocks;
}

const std::vector<int>& AllowedSocketFamilies() {
  static const auto* families = new std::vector<int>{AF_UNIX, AF_INET, AF_INET6, AF_NETLINK};
  return *families;
}

}  // namespace cordon
