#include "plan/git_context.h"

#include <sys/stat.h>

#include <cstdlib>

#include "base/paths.h"
#include "base/sys.h"

namespace cordon {

std::optional<std::string> ReadGitFile(const std::string& git_file) {
  auto text = ReadFileToString(git_file);
  if (!text) return std::nullopt;
  const std::string prefix = "gitdir:";
  if (text->rfind(prefix, 0) != 0) return std::nullopt;
  std::string path = text->substr(prefix.size());
  while (!path.empty() && (path.front() == ' ' || path.front() == '\t')) path.erase(0, 1);
  while (!path.empty() && (path.back() == '\n' || path.back() == '\r' || path.back() == ' ')) {
    path.pop_back();
  }
  if (path.empty()) return std::nullopt;
  const size_t slash = git_file.rfind('/');
  const std::string dir = slash == 0 ? "/" : git_file.substr(0, slash);
  auto resolved = ResolvePath(NormalizePath(JoinPath(dir, path)));
  if (!resolved) return std::nullopt;
  return *resolved;
}

std::optional<std::string> ReadCommonDir(const std::string& git_dir) {
  auto text = ReadFileToString(git_dir + "/commondir");
  if (!text) return std::nullopt;
  std::string path = *text;
  while (!path.empty() && (path.back() == '\n' || path.back() == '\r')) path.pop_back();
  if (path.empty()) return std::nullopt;
  auto resolved = ResolvePath(NormalizePath(JoinPath(git_dir, path)));
  if (!resolved) return std::nullopt;
  return *resolved;
}

std::optional<std::string> FindWorktreeRoot(const std::string& start) {
  std::string dir = NormalizePath(start);
  for (;;) {
    struct stat st;
    if (::lstat((dir == "/" ? std::string("/.git") : dir + "/.git").c_str(), &st) == 0) {
      return dir;
    }
    if (dir == "/") return std::nullopt;
    const size_t slash = dir.rfind('/');
    dir = slash == 0 ? "/" : dir.substr(0, slash);
  }
}

std::vector<std::pair<std::string, std::string>> SafeDirectoryEnv(
    const std::vector<std::string>& env, const std::string& worktree_root) {
  long count = 0;
  for (const auto& e : env) {
    if (e.rfind("GIT_CONFIG_COUNT=", 0) == 0) {
      char* end = nullptr;
      const std::string value = e.substr(17);
      long n = std::strtol(value.c_str(), &end, 10);
      if (end != nullptr && *end == '\0' && !value.empty() && n >= 0) count = n;
    }
  }
  const std::string n = std::to_string(count);
  return {{"GIT_CONFIG_KEY_" + n, "safe.directory"},
          {"GIT_CONFIG_VALUE_" + n, worktree_root},
          {"GIT_CONFIG_COUNT", std::to_string(count + 1)}};
}

bool OwnershipLooksForeignInside(uid_t owner, uid_t uid, uid_t map_inside, uid_t map_outside,
                                 uint64_t map_count) {
  if (owner != uid) return false;  // git outside refuses it too: not ours to paper over
  const bool mapped = owner >= map_outside && owner - map_outside < map_count;
  if (!mapped) return true;
  const uid_t owner_inside = map_inside + (owner - map_outside);
  const uid_t uid_inside = map_inside + (uid - map_outside);
  return owner_inside != uid_inside;
}

}  // namespace cordon
