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

// True when PatternReaches(pattern, path), or when `path` lies below something that matches
// `pattern` (a leading run of `path`'s components matches every component of the pattern).
bool PatternTouches(std::string_view pattern, std::string_view path);

}  // namespace cordon
