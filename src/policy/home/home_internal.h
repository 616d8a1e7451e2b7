// Helpers shared by home_expansion.cc and home_sensitive.cc; not part of the public API.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "base/result.h"

namespace cordon::home_internal {

struct ProtectedRel {
  std::string rel;  // relative to $HOME, normalised, no leading '/'
  std::string reason;
};

// The built-in sensitive entries plus `extra` ("rel", "~/rel" or absolute). Absolute extras
// outside $HOME go to `*outside` (when not null) instead.
std::vector<ProtectedRel> SensitiveRelative(const std::string& home,
                                            const std::vector<std::string>& extra,
                                            std::vector<std::string>* outside);

// "a/b" for path "/home/u/a/b" under home "/home/u"; nullopt when not strictly below.
std::optional<std::string> RelativeTo(const std::string& base, const std::string& path);

struct DirEntry {
  std::string name;
  unsigned char type;  // DT_* from readdir(3), never DT_UNKNOWN (resolved with lstat)
};
// The entries of `dir` except "." and "..", sorted by name.
Result<std::vector<DirEntry>> ListDir(const std::string& dir);

}  // namespace cordon::home_internal
