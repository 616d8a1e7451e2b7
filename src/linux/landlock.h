// Landlock, the second filesystem layer: an allow-list of path hierarchies, built on the host
// side (paths are opened before clone) and applied inside the sandbox by landlock_restrict_self.
// Uses the best ABI the kernel offers and degrades feature by feature (best effort, as the kernel
// documentation recommends), never failing a run that the mount layer already enforces.
#pragma once

#include <cstdint>

#include "base/result.h"
#include "base/unique_fd.h"
#include "plan/plan.h"

namespace cordon {

// The kernel's Landlock ABI version, or 0 when Landlock is unavailable or disabled.
int LandlockAbi();

struct LandlockRuleset {
  UniqueFd fd;               // invalid when Landlock is unavailable
  int abi = 0;
  uint64_t read_access = 0;  // rights granted by a read grant at this ABI
  uint64_t write_access = 0; // rights granted by a write grant at this ABI
};

// Opens every granted path and adds it to a new ruleset. Grants whose path is missing are
// skipped (the mount layer does not show them either). Adds the targets of fds 0-2 when they are
// terminals or files, so `echo > /dev/stdout` keeps working.
Result<LandlockRuleset> BuildLandlockRuleset(const Plan& plan);

// Child side (no allocation): grants `access` beneath the directory or file `fd`.
int LandlockAllowChild(const LandlockRuleset& ruleset, int fd, uint64_t access);

}  // namespace cordon
