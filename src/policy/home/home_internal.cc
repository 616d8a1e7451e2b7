// See home_internal.h.
#include "policy/home/home_internal.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <memory>

#include "base/error.h"
#include "base/paths.h"
#include "base/unique_fd.h"
#include "policy/home/home_sensitive.h"

namespace cordon::home_internal {

std::optional<std::string> RelativeTo(const std::string& base, const std::string& path) {
  if (!PathIsUnder(path, base) || path == base) return std::nullopt;
  return path.substr(base == "/" ? 1 : base.size() + 1);
}

std::vector<ProtectedRel> SensitiveRelative(const std::string& home,
                                            const std::vector<std::string>& extra,
                                            std::vector<std::string>* outside) {
  std::vector<ProtectedRel> out;
  for (const SensitiveHomeEntry& e : kSensitiveHomeEntries) {
    out.push_back({std::string(e.path), std::string(e.reason)});
  }
  for (const std::string& x : extra) {
    if (x.empty()) continue;
    std::string abs;
    if (x == "~" || x.rfind("~/", 0) == 0) {
      abs = NormalizePath(home + "/" + x.substr(1));
    } else {
      abs = NormalizePath(x[0] == '/' ? x : home + "/" + x);
    }
    if (std::optional<std::string> rel = RelativeTo(home, abs)) {
      out.push_back({*rel, "listed as sensitive by the policy"});
    } else if (outside) {
      outside->push_back(abs);
    }
  }
  return out;
}

Result<std::vector<DirEntry>> ListDir(const std::string& dir) {
  UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd) return ErrnoError("list " + dir, dir);
  DIR* d = ::fdopendir(fd.get());
  if (d == nullptr) return ErrnoError("list " + dir, dir);
  fd.release();  // now owned by `d`
  std::unique_ptr<DIR, int (*)(DIR*)> owner(d, ::closedir);
  std::vector<DirEntry> out;
  for (;;) {
    errno = 0;
    struct dirent* ent = ::readdir(d);
    if (ent == nullptr) {
      if (errno != 0) return ErrnoError("list " + dir, dir);
      break;
    }
    std::string name(ent->d_name);
    if (name == "." || name == "..") continue;
    unsigned char type = ent->d_type;
    if (type == DT_UNKNOWN) {
      struct stat st;
      if (::fstatat(::dirfd(d), ent->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
        return ErrnoError("stat " + dir + "/" + name, dir + "/" + name);
      }
      type = S_ISDIR(st.st_mode) ? DT_DIR : S_ISLNK(st.st_mode) ? DT_LNK : DT_REG;
    }
    out.push_back({std::move(name), type});
  }
  std::sort(out.begin(), out.end(),
            [](const DirEntry& a, const DirEntry& b) { return a.name < b.name; });
  return out;
}

}  // namespace cordon::home_internal
