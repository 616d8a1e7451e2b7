// See helper_lockdown.h.
#include "linux/helper_lockdown.h"

#include <linux/seccomp.h>
#include <sys/prctl.h>

#include "linux/landlock.h"
#include "linux/privileges.h"
#include "linux/seccomp_filter.h"

namespace cordon {

Status LockDownHelperProcess(const std::vector<std::string>& readable) {
  if (DropCapabilities(0, BoundingSet::kDropIfPermitted) != 0) {
    return ErrnoError("drop the helper's capabilities");
  }
  if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return ErrnoError("set no_new_privs");
  auto landlock = RestrictHelperToReading(readable);
  if (!landlock) return landlock.error();
  auto seccomp = CompiledSeccompProgram();
  if (!seccomp) return seccomp.error();
  sock_fprog prog = (*seccomp)->fprog();
  if (::prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0) != 0) {
    return ErrnoError("install the seccomp filter");
  }
  return OkStatus();
}

}  // namespace cordon
