// The seccomp filter as a BPF program. plan/seccomp_policy.h's table is compiled with libseccomp
// at BUILD time (tools: seccomp_bpf_gen) and embedded in cordon, so a run pays nothing to
// compile it (compiling takes milliseconds: three ABIs, one rule per refused socket family) and
// cordon itself does not load libseccomp. A test checks that the embedded program equals a fresh
// compile of the table.
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

// The program embedded at build time.
Result<const SeccompProgram*> CompiledSeccompProgram();

// Compiles the table now with libseccomp (x86-64, with the i386 and x32 ABIs covered by the same
// rules so that a 32-bit syscall cannot slip past). Used by the build-time generator and tests.
Result<SeccompProgram> CompileSeccompProgram();

}  // namespace cordon
