// Landlock, the second filesystem layer: an allow-list of path hierarchies, built on the host
// side (paths are opened before clone) and applied inside the sandbox by landlock_restrict_self.
// Uses the best ABI the kernel offers and degrades feature by feature (best effort, as the kernel
// documentation recommends), never failing a run that the mount layer already enforces.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/result.h"
#include "base/unique_fd.h"
#include "plan/plan.h"

namespace cordon {

// The kernel's Landlock ABI version, or 0 when Landlock is unavailable or disabled.
int LandlockAbi();

struct LandlockRuleset {
  UniqueFd fd;  // invalid when Landlock is unavailable
  int abi = 0;
  uint64_t read_access = 0;   // rights granted by a read grant at this ABI
  uint64_t write_access = 0;  // rights granted by a write grant at this ABI
};

// Opens every granted path and adds it to a new ruleset. Grants whose path is missing are
// skipped (the mount layer does not show them either). Adds the targets of fds 0-2 when they are
// terminals or files, so `echo > /dev/stdout` keeps working.
Result<LandlockRuleset> BuildLandlockRuleset(const Plan& plan);

// For a helper process of cordon's own on the host (the network bridge), which handles what
// sandboxed commands send it: restricts the calling thread, and every thread it creates later,
// to reading `readable` (files and directories; missing ones are skipped) and nothing else on
// the filesystem, and (ABI 6+) to no abstract unix socket and no signal outside its own domain.
// Returns the ABI used (0: no Landlock on this kernel, nothing restricted: best effort, like
// the sandbox's own Landlock layer).
Result<int> RestrictHelperToReading(const std::vector<std::string>& readable);

// Child side (no allocation): grants `access` beneath the directory or file `fd`.
int LandlockAllowChild(const LandlockRuleset& ruleset, int fd, uint64_t access);

}  // namespace cordon
