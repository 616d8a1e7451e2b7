// Component-wise tests between a path and a glob pattern (fnmatch(3) per component), used to
// decide whether a path with unknown SSH tokens (ControlPath ~/.cm-%C) could name something at
// or below a given directory.
#pragma once

#include <string_view>

namespace cordon {

// True when some path matching `pattern` equals `path` or lies below it: `pattern` has at least
// as many components as `path` and each of `path`'s components matches the pattern's component
// at the same place. '*' does not cross '/' and matches a leading '.'.
bool PatternReaches(std::string_view pattern, std::string_view path);

}  // namespace cordon
