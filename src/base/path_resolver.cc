// See path_resolver.h.
#include "base/path_resolver.h"

#include <sys/stat.h>

#include <cerrno>

#include "base/paths.h"

namespace cordon {

Result<std::string> PathResolver::Resolve(const std::string& path) {
  auto r = ResolveNormalized(NormalizePath(path));
  if (!r) return r.error();
  return r->path;
}

Result<PathResolver::Entry> PathResolver::ResolveNormalized(const std::string& norm) {
  if (norm == "/") return Entry{"/", true};
  if (auto it = memo_.find(norm); it != memo_.end()) return it->second;
  const size_t slash = norm.rfind('/');
  auto parent = ResolveNormalized(slash == 0 ? "/" : norm.substr(0, slash));
  if (!parent) return parent.error();
  Entry e;
  e.path = (parent->path == "/" ? "" : parent->path) + norm.substr(slash);
  if (!parent->exists) {
    e.exists = false;  // below a missing directory: appended as written
  } else {
    struct stat st;
    if (::lstat(e.path.c_str(), &st) != 0) {
      if (errno != ENOENT && errno != ENOTDIR) return ResolvePath(norm).error();
      e.exists = false;
    } else if (S_ISLNK(st.st_mode)) {
      auto real = ResolvePath(e.path);
      if (!real) return real.error();
      e.path = *real;
      struct stat target;
      e.exists = ::stat(e.path.c_str(), &target) == 0;
    }
  }
  memo_.emplace(norm, e);
  return e;
}

}  // namespace cordon
