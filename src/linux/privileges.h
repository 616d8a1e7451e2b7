// Giving up privileges: the capability sets. Shared by the sandbox's command launcher (which
// keeps the profile's capabilities, or none) and cordon's host-side helper processes (none).
#pragma once

#include <cstdint>

namespace cordon {

enum class BoundingSet {
  kMustDrop,         // failing to drop one from the bounding set is an error
  kDropIfPermitted,  // skipped without CAP_SETPCAP (an unprivileged caller)
};

// Drops every capability not in `keep` (a bit mask of CAP_* numbers) from the bounding set and
// clears the ambient set, then sets the effective and permitted sets to `keep` and the
// inheritable set to nothing. Returns 0, or -1 with errno. Async-signal-safe: it runs between
// clone and exec. A sandbox's launcher always can drop (it holds every capability in its user
// namespace) and uses kMustDrop; a helper process of an unprivileged user cannot, and needs not:
// it has no capability to lose, never execs, and has no_new_privs.
int DropCapabilities(uint64_t keep, BoundingSet bounding = BoundingSet::kMustDrop);

}  // namespace cordon
