// Host-side placeholders: empty directories cordon creates before a sandbox starts, so that a
// rule on a path that does not exist yet (a read carve-out, a denial, a protected name in a
// writable root) has a mount point and the command cannot create that path. They are removed
// when the sandbox is gone, and only while still empty, so the host is left exactly as the
// command left it.
//
// Crash safety: before creating anything, the list is written to a registry file
// `<registry>/<pid>-<start time>`. A run killed with SIGKILL leaves that file behind; the next
// start (CleanStalePlaceholders) recognises it as stale because no live process has that pid
// AND that start time, removes the directories it lists (rmdir: only if still empty, deepest
// first) and then the record. A directory someone has put something into is never removed.
//
// Concurrent runs: a second run in the same workspace finds the first run's placeholder as an
// existing directory and mounts on it. The first run must then not remove it at its end (rmdir
// of a mount point in another mount namespace succeeds and detaches that mount, which would
// let the second run's command create the path). So a run *adopts* every path it mounts on that
// a live run's record lists (it names it in its own record too), and a path is removed only by
// the last live run listing it. The decisions that read other runs' records hold an flock on
// the registry directory, so adopting and removing cannot interleave.
#pragma once

#include <string>
#include <vector>

#include "base/result.h"
#include "plan/plan.h"

namespace cordon {

class HostPlaceholders {
 public:
  HostPlaceholders() = default;
  HostPlaceholders(const HostPlaceholders&) = delete;
  HostPlaceholders& operator=(const HostPlaceholders&) = delete;
  ~HostPlaceholders();  // Remove()

  // Records, then creates, every placeholder of `plan` (already-existing paths are skipped, or
  // adopted when a live run's record lists them). On failure whatever was created is removed.
  static Result<std::unique_ptr<HostPlaceholders>> Create(const Plan& plan);

  // Removes the placeholders (created or adopted) that are still empty and that no other live
  // run lists, deepest first, then the registry record.
  void Remove();

  const std::vector<std::string>& created() const { return created_; }
  const std::vector<std::string>& adopted() const { return adopted_; }

 private:
  std::vector<std::string> created_;  // in creation order
  std::vector<std::string> adopted_;  // other live runs' placeholders this run mounts on
  std::string registry_;              // the registry directory, "" when there is none
  std::string record_;                // this run's file in it, "" when there is none
};

// Cleans up after runs that were killed: see the file comment. Returns the number of
// placeholder directories removed. Never fails the caller: problems are ignored (a record that
// cannot be read is kept for a later attempt).
int CleanStalePlaceholders(const std::string& registry);

}  // namespace cordon
