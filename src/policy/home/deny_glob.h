// Expansion of deny globs ("**/*.env", "**/secrets/**", "config/*.pem") into the paths that
// exist when the sandbox starts. One walk of the tree serves every pattern: each directory is
// read once with getdents64 through a directory fd, d_type avoids a stat per entry, symlinks are
// never followed, and a subtree is skipped as soon as no pattern can match below it.
//
// Syntax (relative to the root, '/'-separated, anchored at the root):
//   *, ?, [...]   fnmatch(3) within one component; '*' also matches a leading '.'
//   **            any number of components, including none
//   a trailing /  the pattern matches directories only
// A directory that matches is returned once, as a directory, and not descended into: denying it
// denies everything below ("**/secrets/**" returns each secrets/ directory, and "secrets/**"
// matches the directory itself).
//
// LIMITS: files created after the walk are not covered; directories deeper than `max_depth`
// are not examined (reported in `depth_capped`). Pure: only opens and reads directories.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace cordon {

inline constexpr int kDefaultDenyGlobDepth = 16;

enum class GlobEntryKind { kFile, kDirectory, kSymlink, kOther };

struct GlobMatch {
  std::string path;                // absolute: root + "/" + relative path
  GlobEntryKind kind;              // of the entry itself (a symlink is not followed)
  std::vector<uint32_t> patterns;  // indices of every pattern that matched it
};

struct GlobUnreadable {
  std::string path;  // a directory a pattern could match below, which could not be listed
  int err;           // errno
};

struct GlobExpansion {
  std::vector<GlobMatch> matches;  // sorted by path, each path once
  // SECURITY: the caller should deny these whole; what lies below them is unknown.
  std::vector<GlobUnreadable> unreadable;  // sorted by path
  bool depth_cap_hit = false;
  std::vector<std::string> depth_capped;  // directories not descended into (at most 100 listed)
  size_t directories_read = 0;
  size_t entries_seen = 0;
};

// Checks one pattern's syntax: not empty, no ".." component.
Status ValidateDenyGlob(std::string_view pattern);

// Fails only when `root` cannot be opened, a pattern is invalid or max_depth < 1; problems
// below the root are reported in the result. Entries are matched down to `max_depth`
// components below the root.
Result<GlobExpansion> ExpandDenyGlobs(const std::string& root,
                                      const std::vector<std::string>& patterns,
                                      int max_depth = kDefaultDenyGlobDepth);

const char* GlobEntryKindName(GlobEntryKind kind);

}  // namespace cordon
