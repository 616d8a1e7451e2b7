// What the plan needs to know about git: where a `.git` marker (directory, or file pointing to
// the real git directory as in linked worktrees) lives, and whether git inside the sandbox would
// see the repository as owned by someone else.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

namespace cordon {

// Parses the "gitdir: <path>" line of a .git file; a relative path is resolved against the
// directory holding the file. Returns nothing when the file is not a valid gitfile.
std::optional<std::string> ReadGitFile(const std::string& git_file);

// For a git directory of a linked worktree (.../.git/worktrees/<name>), the shared repository
// directory named by its `commondir` file.
std::optional<std::string> ReadCommonDir(const std::string& git_dir);

// The nearest directory at or above `start` holding a `.git` marker (directory or file); this is
// what git's safe.directory compares with.
std::optional<std::string> FindWorktreeRoot(const std::string& start);

// Appends a safe.directory entry through GIT_CONFIG_COUNT/GIT_CONFIG_KEY_n/GIT_CONFIG_VALUE_n,
// after any entries the caller already set. Returns the variables to set.
std::vector<std::pair<std::string, std::string>> SafeDirectoryEnv(
    const std::vector<std::string>& env, const std::string& worktree_root);

// True when git outside would accept the repository (it is owned by `uid`) but inside the
// sandbox its owner is not mapped to the same id, so git would refuse it as foreign.
bool OwnershipLooksForeignInside(uid_t owner, uid_t uid, uid_t map_inside, uid_t map_outside,
                                 uint64_t map_count);

}  // namespace cordon
