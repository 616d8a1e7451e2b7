// The seccomp policy as data: which kernel surface a sandboxed command loses, and why.
// linux/seccomp_filter.cc compiles this table into BPF with libseccomp; `cordon explain` and
// docs/security.md print it. Keeping the table here (pure data) lets tests check it without a
// kernel.
#pragma once

#include <string>
#include <vector>

namespace cordon {

enum class SeccompCondition {
  kAlways,            // the call is refused whatever its arguments
  kIoctlRequest,      // only ioctl(fd, <request>, ...) with the request named in `arg`
  kNamespaceFlags,    // clone/unshare with any CLONE_NEW* flag
  kSocketFamily,      // socket() with a family outside the allowed list
};

struct SeccompBlock {
  std::string syscall;     // libseccomp name, e.g. "io_uring_setup"
  SeccompCondition condition = SeccompCondition::kAlways;
  unsigned long arg = 0;   // for kIoctlRequest: the request number
  int error = 1;           // errno returned (EPERM by default; ENOSYS for clone3)
  std::string reason;      // why an agent command has no use for it / how it has been abused
};

// The blocks, in a stable order (tests and explain output rely on it).
const std::vector<SeccompBlock>& SeccompBlocks();

// Socket families a command may create: unix, IPv4, IPv6, netlink. Everything else (vsock, which
// reaches the hypervisor and is not network-namespaced; packet; bluetooth; ...) is refused.
const std::vector<int>& AllowedSocketFamilies();

}  // namespace cordon
