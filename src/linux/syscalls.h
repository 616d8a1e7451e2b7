// Direct system call wrappers that glibc 2.36 lacks, with the `sys_` prefix so they are easy to
// spot. They return -1 and set errno like libc; they never allocate, so the code between clone()
// and exec() may use them.
#pragma once

#include <linux/openat2.h>
#include <linux/sched.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdint>

namespace cordon {

// Landlock UAPI, defined here because Debian 12's kernel headers stop at ABI 3.
// See Documentation/userspace-api/landlock.rst.
struct sys_landlock_ruleset_attr {
  uint64_t handled_access_fs;
  uint64_t handled_access_net;  // ABI >= 4
  uint64_t scoped;              // ABI >= 6
};
struct sys_landlock_path_beneath_attr {
  uint64_t allowed_access;
  int32_t parent_fd;
} __attribute__((packed));
struct sys_landlock_net_port_attr {
  uint64_t allowed_access;
  uint64_t port;
};
inline constexpr int kLandlockRulePathBeneath = 1;
inline constexpr int kLandlockRuleNetPort = 2;
inline constexpr uint32_t kLandlockCreateRulesetVersion = 1U << 0;

namespace landlock_fs {
inline constexpr uint64_t kExecute = 1ULL << 0;
inline constexpr uint64_t kWriteFile = 1ULL << 1;
inline constexpr uint64_t kReadFile = 1ULL << 2;
inline constexpr uint64_t kReadDir = 1ULL << 3;
inline constexpr uint64_t kRemoveDir = 1ULL << 4;
inline constexpr uint64_t kRemoveFile = 1ULL << 5;
inline constexpr uint64_t kMakeChar = 1ULL << 6;
inline constexpr uint64_t kMakeDir = 1ULL << 7;
inline constexpr uint64_t kMakeReg = 1ULL << 8;
inline constexpr uint64_t kMakeSock = 1ULL << 9;
inline constexpr uint64_t kMakeFifo = 1ULL << 10;
inline constexpr uint64_t kMakeBlock = 1ULL << 11;
inline constexpr uint64_t kMakeSym = 1ULL << 12;
inline constexpr uint64_t kRefer = 1ULL << 13;      // ABI 2
inline constexpr uint64_t kTruncate = 1ULL << 14;   // ABI 3
inline constexpr uint64_t kIoctlDev = 1ULL << 15;   // ABI 5
}  // namespace landlock_fs
namespace landlock_net {
inline constexpr uint64_t kBindTcp = 1ULL << 0;     // ABI 4
inline constexpr uint64_t kConnectTcp = 1ULL << 1;  // ABI 4
}  // namespace landlock_net
namespace landlock_scope {
inline constexpr uint64_t kAbstractUnixSocket = 1ULL << 0;  // ABI 6
inline constexpr uint64_t kSignal = 1ULL << 1;              // ABI 6
}  // namespace landlock_scope

inline int sys_landlock_create_ruleset(const sys_landlock_ruleset_attr* attr, size_t size,
                                       uint32_t flags) {
  return static_cast<int>(::syscall(SYS_landlock_create_ruleset, attr, size, flags));
}
inline int sys_landlock_add_rule(int ruleset_fd, int rule_type, const void* rule_attr) {
  return static_cast<int>(::syscall(SYS_landlock_add_rule, ruleset_fd, rule_type, rule_attr, 0));
}
inline int sys_landlock_restrict_self(int ruleset_fd) {
  return static_cast<int>(::syscall(SYS_landlock_restrict_self, ruleset_fd, 0));
}

inline long sys_clone3(clone_args* args) { return ::syscall(SYS_clone3, args, sizeof(*args)); }

inline int sys_openat2(int dirfd, const char* path, uint64_t flags, uint64_t resolve) {
  open_how how{};
  how.flags = flags;
  how.resolve = resolve;
  return static_cast<int>(::syscall(SYS_openat2, dirfd, path, &how, sizeof how));
}

inline int sys_pivot_root(const char* new_root, const char* put_old) {
  return static_cast<int>(::syscall(SYS_pivot_root, new_root, put_old));
}

inline int sys_pidfd_send_signal(int pidfd, int sig) {
  return static_cast<int>(::syscall(SYS_pidfd_send_signal, pidfd, sig, nullptr, 0));
}

}  // namespace cordon
