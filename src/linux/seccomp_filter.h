// Compiles plan/seccomp_policy.h's table into a BPF program with libseccomp, on the host side,
// once per process. The sandboxed child only installs the finished program.
#pragma once

#include <linux/filter.h>

#include <vector>

#include "base/result.h"

namespace cordon {

struct SeccompProgram {
  std::vector<sock_filter> instructions;
  sock_fprog fprog() const {
    return sock_fprog{static_cast<unsigned short>(instructions.size()),
                      const_cast<sock_filter*>(instructions.data())};
  }
};

// The compiled filter for this architecture (x86-64, with the i386 and x32 ABIs covered by the
// same rules so that a 32-bit syscall cannot slip past).
Result<const SeccompProgram*> CompiledSeccompProgram();

}  // namespace cordon
