// Path helpers shared by the policy and the executor: lexical normalisation, prefix tests, and
// resolution through symlinks of paths that may not exist yet.
#pragma once

#include <string>
#include <string_view>

#include "base/result.h"

namespace cordon {

// Lexically normalises an absolute path: collapses "//", removes "." and resolves ".." without
// touching the filesystem. "/a/./b/../c/" -> "/a/c".
std::string NormalizePath(std::string_view path);

// True when `path` equals `root` or lies below it ("/a/b" is under "/a", "/ab" is not).
bool PathIsUnder(std::string_view path, std::string_view root);

// Joins `base` and a relative `rel`; returns `rel` unchanged when it is absolute.
std::string JoinPath(std::string_view base, std::string_view rel);

// Resolves every symlink in `path`. The longest existing prefix is resolved with realpath(3),
// and the missing tail is appended lexically, so a grant on a path that does not exist yet still
// lands where a later mkdir would put it.
Result<std::string> ResolvePath(const std::string& path);

}  // namespace cordon
