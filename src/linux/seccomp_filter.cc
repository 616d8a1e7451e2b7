#include "linux/seccomp_filter.h"

#include <sched.h>
#include <seccomp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>

#include "base/sys.h"
#include "plan/seccomp_policy.h"

namespace cordon {
namespace {

constexpr unsigned long kNamespaceFlags = CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC |
                                          CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET |
                                          CLONE_NEWCGROUP | CLONE_NEWTIME;

Status AddRule(scmp_filter_ctx ctx, const SeccompBlock& block) {
  const int nr = seccomp_syscall_resolve_name(block.syscall.c_str());
  if (nr == __NR_SCMP_ERROR) return OkStatus();  // not a syscall on this architecture
  const uint32_t action = SCMP_ACT_ERRNO(static_cast<uint16_t>(block.error));
  int rc = 0;
  switch (block.condition) {
    case SeccompCondition::kAlways:
      rc = seccomp_rule_add(ctx, action, nr, 0);
      break;
    case SeccompCondition::kIoctlRequest:
      // The request is an int in the kernel; compare the low 32 bits so that setting high bits
      // cannot dodge the rule.
      rc = seccomp_rule_add(ctx, action, nr, 1,
                            SCMP_A1_64(SCMP_CMP_MASKED_EQ, 0xffffffffULL, block.arg));
      break;
    case SeccompCondition::kNamespaceFlags:
      // clone(flags, ...): the flags are the first argument on x86-64. One rule per flag,
      // because libseccomp cannot express "flags & mask != 0" in a single comparison.
      for (unsigned long bit = 1; bit != 0; bit <<= 1) {
        if ((kNamespaceFlags & bit) == 0) continue;
        rc = seccomp_rule_add(ctx, action, nr, 1, SCMP_A0_64(SCMP_CMP_MASKED_EQ, bit, bit));
        if (rc != 0) break;
      }
      break;
    case SeccompCondition::kSocketFamily: {
      // Refuse every family outside the allowed list: families are small integers, so list the
      // refused ones explicitly up to AF_MAX and refuse anything above with a range rule.
      for (int family = 0; family < AF_MAX; ++family) {
        bool allowed = false;
        for (int a : AllowedSocketFamilies()) allowed = allowed || a == family;
        if (allowed) continue;
        rc = seccomp_rule_add(ctx, action, nr, 1,
                              SCMP_A0_64(SCMP_CMP_EQ, static_cast<scmp_datum_t>(family)));
        if (rc != 0) break;
      }
      if (rc == 0) rc = seccomp_rule_add(ctx, action, nr, 1, SCMP_A0_64(SCMP_CMP_GE, AF_MAX));
      break;
    }
  }
  if (rc != 0 && rc != -EEXIST) {
    return ErrnoError(-rc, "add seccomp rule for " + block.syscall);
  }
  return OkStatus();
}

}  // namespace

Result<SeccompProgram> CompileSeccompProgram() {
  std::unique_ptr<void, void (*)(scmp_filter_ctx)> ctx(seccomp_init(SCMP_ACT_ALLOW),
                                                       seccomp_release);
  if (!ctx) return PlainError("initialise seccomp", "seccomp_init failed");
  for (uint32_t arch : {SCMP_ARCH_X86, SCMP_ARCH_X32}) {
    int rc = seccomp_arch_add(ctx.get(), arch);
    if (rc != 0 && rc != -EEXIST) return ErrnoError(-rc, "add seccomp architecture");
  }
  // no_new_privs is set by the executor itself, right before the filter is installed.
  seccomp_attr_set(ctx.get(), SCMP_FLTATR_CTL_NNP, 0);
  // A binary tree of syscall numbers instead of a linear chain. Not for the filter's own speed
  // (allowed syscalls skip it through the kernel's action cache) but for installing it: the
  // kernel builds that cache by emulating the filter once per syscall number, with interrupts
  // off, and a chain of every rule made that ~0.3 ms of each sandbox's start-up.
  if (int rc = seccomp_attr_set(ctx.get(), SCMP_FLTATR_CTL_OPTIMIZE, 2); rc != 0) {
    return ErrnoError(-rc, "ask libseccomp for a binary-tree filter");
  }
  for (const auto& block : SeccompBlocks()) CORDON_TRY(AddRule(ctx.get(), block));

  auto pipe = SysPipe();
  if (!pipe) return pipe.error();
  // seccomp_export_bpf writes to an fd (libseccomp 2.5 has no in-memory export); a filter is a
  // few KiB, far below the pipe buffer.
  int rc = seccomp_export_bpf(ctx.get(), pipe->write.get());
  if (rc != 0) return ErrnoError(-rc, "export seccomp filter");
  pipe->write.reset();
  std::string bytes;
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(pipe->read.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    bytes.append(buf, static_cast<size_t>(n));
  }
  SeccompProgram program;
  program.instructions.resize(bytes.size() / sizeof(sock_filter));
  std::memcpy(program.instructions.data(), bytes.data(),
              program.instructions.size() * sizeof(sock_filter));
  return program;
}

}  // namespace cordon
