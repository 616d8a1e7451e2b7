// See host_placeholders.h.
#include "linux/host_placeholders.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <sstream>

#include "base/sys.h"
#include "base/unique_fd.h"

namespace cordon {
namespace {

// The start time of `pid` in clock ticks since boot (field 22 of /proc/<pid>/stat), or "" when
// there is no such process. Together with the pid it names one process for the whole uptime.
std::string StartTime(pid_t pid) {
  auto stat = ReadFileToString("/proc/" + std::to_string(pid) + "/stat");
  if (!stat) return "";
  const size_t paren = stat->rfind(')');
  if (paren == std::string::npos) return "";
  std::istringstream in(stat->substr(paren + 2));
  std::string field;
  for (int i = 3; i <= 22 && (in >> field); ++i) {
    if (i == 22) return field;
  }
  return "";
}

void RemoveListed(const std::vector<std::string>& paths) {
  for (auto it = paths.rbegin(); it != paths.rend(); ++it) ::rmdir(it->c_str());
}

}  // namespace

Result<std::unique_ptr<HostPlaceholders>> HostPlaceholders::Create(const Plan& plan) {
  auto out = std::make_unique<HostPlaceholders>();
  if (plan.placeholders.empty()) return out;
  std::vector<std::string> todo;
  for (const auto& p : plan.placeholders) {
    struct stat st;
    if (::lstat(p.path.c_str(), &st) == 0) continue;  // appeared since planning: not ours
    todo.push_back(p.path);
  }
  if (todo.empty()) return out;
  if (!plan.placeholder_registry.empty()) {
    CORDON_TRY(MakeDirs(plan.placeholder_registry, 0700));
    const pid_t self = ::getpid();
    out->record_ = plan.placeholder_registry + "/" + std::to_string(self) + "-" + StartTime(self);
    std::string text;
    for (const auto& p : todo) text += p + "\n";
    // Written completely before the first directory exists: a crash at any point after this
    // leaves a record naming everything that might have been created.
    UniqueFd fd(::open(out->record_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
    if (!fd.valid()) {
      Error e = ErrnoError("record placeholders in " + out->record_, out->record_);
      out->record_.clear();
      return e;
    }
    if (Status st = WriteAll(fd.get(), text); !st) {
      ::unlink(out->record_.c_str());
      out->record_.clear();
      return st.error();
    }
  }
  std::vector<std::string> skipped;
  for (const auto& path : todo) {
    if (::mkdir(path.c_str(), 0755) != 0) {
      // cordon may not create it: then neither may the command, which never has more rights
      // on the host than cordon. The plan's mounts for it are skip_if_missing.
      // Not when the directory is ours: its owner may chmod it writable, inside too.
      const int err = errno;
      const std::string parent = path.substr(0, path.rfind('/'));
      const bool parent_skipped =
          std::find(skipped.begin(), skipped.end(), parent) != skipped.end();
      struct stat pst;
      const bool ours = ::stat(parent.c_str(), &pst) == 0 && pst.st_uid == ::geteuid();
      // EEXIST: it appeared since planning (or is $CORDON_HOME, just made for the record).
      if (((err == EACCES || err == EPERM) && !ours) || err == EROFS || err == EEXIST ||
          (err == ENOENT && parent_skipped)) {
        skipped.push_back(path);
        continue;
      }
      if (err == EACCES || err == EPERM) {
        out->Remove();
        return ErrnoError(err,
                          "create placeholder " + path + ": " + parent +
                              " is yours but not writable, so the command could chmod it and "
                              "create the path; make it writable, or give the path a rule that "
                              "needs no placeholder",
                          path);
      }
      errno = err;
      Error e = ErrnoError(
          "create placeholder " + path + " (a rule names a path that does not exist yet)", path);
      out->Remove();
      return e;
    }
    out->created_.push_back(path);
  }
  return out;
}

void HostPlaceholders::Remove() {
  RemoveListed(created_);
  created_.clear();
  if (!record_.empty()) ::unlink(record_.c_str());
  record_.clear();
}

HostPlaceholders::~HostPlaceholders() { Remove(); }

int CleanStalePlaceholders(const std::string& registry) {
  DIR* dir = ::opendir(registry.c_str());
  if (dir == nullptr) return 0;
  int removed = 0;
  std::vector<std::string> stale;
  while (dirent* e = ::readdir(dir)) {
    const std::string name = e->d_name;
    const size_t dash = name.find('-');
    if (name[0] == '.' || dash == std::string::npos || dash == 0) continue;
    const pid_t pid = static_cast<pid_t>(std::atol(name.substr(0, dash).c_str()));
    if (pid <= 0) continue;
    if (StartTime(pid) == name.substr(dash + 1)) continue;  // that run is still going
    stale.push_back(registry + "/" + name);
  }
  ::closedir(dir);
  for (const auto& record : stale) {
    auto text = ReadFileToString(record);
    if (!text) continue;
    std::vector<std::string> paths;
    std::istringstream in(*text);
    for (std::string line; std::getline(in, line);) {
      if (!line.empty() && line[0] == '/') paths.push_back(line);
    }
    for (auto it = paths.rbegin(); it != paths.rend(); ++it) {
      if (::rmdir(it->c_str()) == 0) ++removed;
    }
    ::unlink(record.c_str());
  }
  return removed;
}

}  // namespace cordon
