// See path_pattern.h.
#include "policy/home/path_pattern.h"

#include <fnmatch.h>

#include <string>

namespace cordon {
namespace {

// Next component of `s` starting at *pos (skipping '/'); empty when none is left.
std::string_view NextComponent(std::string_view s, size_t* pos) {
  while (*pos < s.size() && s[*pos] == '/') ++*pos;
  size_t start = *pos;
  while (*pos < s.size() && s[*pos] != '/') ++*pos;
  return s.substr(start, *pos - start);
}

}  // namespace

bool PatternReaches(std::string_view pattern, std::string_view path) {
  size_t pp = 0;
  size_t ip = 0;
  for (;;) {
    std::string_view want = NextComponent(path, &ip);
    if (want.empty()) return true;  // every component of `path` matched
    std::string_view pat = NextComponent(pattern, &pp);
    if (pat.empty()) return false;  // the pattern stops above `path`
    if (::fnmatch(std::string(pat).c_str(), std::string(want).c_str(), 0) != 0) return false;
  }
}

bool PatternTouches(std::string_view pattern, std::string_view path) {
  size_t pp = 0;
  size_t ip = 0;
  for (;;) {
    std::string_view want = NextComponent(path, &ip);
    std::string_view pat = NextComponent(pattern, &pp);
    if (want.empty() || pat.empty()) return true;  // one is a prefix of the other
    if (::fnmatch(std::string(pat).c_str(), std::string(want).c_str(), 0) != 0) return false;
  }
}

}  // namespace cordon
