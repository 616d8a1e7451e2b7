// The seccomp program compiled at build time by seccomp_bpf_gen (see seccomp_filter.h).
#include "linux/seccomp_filter.h"

namespace cordon {
namespace {

const sock_filter kProgram[] = {
#include "seccomp_program.inc"
};

}  // namespace

Result<const SeccompProgram*> CompiledSeccompProgram() {
  static const auto* program = new SeccompProgram{
      std::vector<sock_filter>(std::begin(kProgram), std::end(kProgram))};
  return program;
}

}  // namespace cordon
