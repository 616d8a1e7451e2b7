// See home_sensitive.h.
#include "policy/home/home_sensitive.h"

#include <glob.h>

#include <algorithm>

#include "base/path_resolver.h"
#include "base/paths.h"
#include "policy/home/home_internal.h"

namespace cordon {

std::vector<std::string> SensitiveHomePaths(const std::string& home_in, const SshConfigPaths& ssh,
                                            const std::vector<std::string>& extra_sensitive) {
  std::string home = NormalizePath(home_in);
  std::vector<std::string> out;
  // Both the lexical path and, when it is a symlink, where it leads: a rule on the target must
  // not expose it either.
  PathResolver resolver;  // the entries share $HOME and a few directories below it
  auto add = [&out, &resolver](const std::string& path) {
    out.push_back(path);
    if (Result<std::string> real = resolver.Resolve(path); real && *real != path) {
      out.push_back(*real);
    }
  };
  std::vector<std::string> outside;
  for (const auto& p : home_internal::SensitiveRelative(home, extra_sensitive, &outside)) {
    add(home + (home == "/" ? "" : "/") + p.rel);
  }
  for (const std::string& p : outside) add(p);
  for (const SshPathRef& ref : ssh.refs) {
    if (ref.pattern.empty() || home_internal::RelativeTo(home, ref.path)) {
      // Exact files, or the directory that holds connection-dependent names below $HOME.
      add(ref.path);
      continue;
    }
    // The pattern's directory is $HOME, one of its ancestors or a shared directory such as /tmp
    // (ControlPath /tmp/ssh-%r@%h:%p): hiding that directory would hide far too much, so hide
    // what matches now. Sockets created later are not covered (docs/home-and-ssh.md).
    glob_t g{};
    if (::glob(ref.pattern.c_str(), GLOB_NOSORT, nullptr, &g) == 0) {
      for (size_t i = 0; i < g.gl_pathc; ++i) add(NormalizePath(g.gl_pathv[i]));
    }
    ::globfree(&g);
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

}  // namespace cordon
