// PathResolver: ResolvePath (base/paths.h) with a memo of every prefix already resolved, for
// callers that resolve many paths sharing directories (a policy's rules, the entries of
// $HOME). Resolving one more path then costs one lstat of its last component instead of a
// readlink per component (realpath(3) walks the whole path again for each). Same answers as
// ResolvePath: symlinks are resolved (through ResolvePath), and the missing tail of a path that
// does not exist is appended as written.
//
// The memo is the filesystem as it was when each prefix was first looked at: keep one resolver
// for one resolution pass (one policy, one request), never across requests.
#pragma once

#include <string>
#include <unordered_map>

#include "base/result.h"

namespace cordon {

class PathResolver {
 public:
  Result<std::string> Resolve(const std::string& path);

 private:
  struct Entry {
    std::string path;  // resolved
    bool exists = true;
  };
  Result<Entry> ResolveNormalized(const std::string& norm);

  std::unordered_map<std::string, Entry> memo_;  // normalized path -> resolved
};

}  // namespace cordon
