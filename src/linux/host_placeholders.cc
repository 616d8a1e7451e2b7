// See host_placeholders.h.
#include "linux/host_placeholders.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <optional>
#include <set>
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

// The paths a record lists, in the order they were recorded; nullopt if it cannot be read.
std::optional<std::vector<std::string>> ReadRecord(const std::string& record) {
  std::vector<std::string> paths;
  auto text = ReadFileToString(record);
  if (!text) return std::nullopt;
  std::istringstream in(*text);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line[0] == '/') paths.push_back(line);
  }
  return paths;
}

// An exclusive flock on the registry directory, released when the fd closes. Invalid when the
// registry does not exist (then there are no records to race with).
UniqueFd LockRegistry(const std::string& registry) {
  UniqueFd fd(::open(registry.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.valid()) {
    while (::flock(fd.get(), LOCK_EX) != 0 && errno == EINTR) {
    }
  }
  return fd;
}

struct RegistryState {
  std::vector<std::string> stale_records;  // of runs that are gone
  std::set<std::string> live_paths;        // listed by runs still going, other than `self`
};

// Reads every record; the caller holds the registry lock. `self` (a record path) is skipped.
RegistryState ReadRegistry(const std::string& registry, const std::string& self) {
  RegistryState state;
  DIR* dir = ::opendir(registry.c_str());
  if (dir == nullptr) return state;
  while (dirent* e = ::readdir(dir)) {
    const std::string name = e->d_name;
    const size_t dash = name.find('-');
    if (name[0] == '.' || dash == std::string::npos || dash == 0) continue;
    const pid_t pid = static_cast<pid_t>(std::atol(name.substr(0, dash).c_str()));
    if (pid <= 0) continue;
    const std::string record = registry + "/" + name;
    if (record == self) continue;
    if (StartTime(pid) != name.substr(dash + 1)) {
      state.stale_records.push_back(record);
      continue;
    }
    if (auto paths = ReadRecord(record)) {
      for (auto& path : *paths) state.live_paths.insert(std::move(path));
    }
  }
  ::closedir(dir);
  return state;
}

// rmdir, deepest first, of the listed paths no live run still lists.
int RemoveUnlisted(const std::vector<std::string>& paths, const std::set<std::string>& live) {
  int removed = 0;
  for (auto it = paths.rbegin(); it != paths.rend(); ++it) {
    if (live.count(*it) == 0 && ::rmdir(it->c_str()) == 0) ++removed;
  }
  return removed;
}

}  // namespace

Result<std::unique_ptr<HostPlaceholders>> HostPlaceholders::Create(const Plan& plan) {
  auto out = std::make_unique<HostPlaceholders>();
  out->registry_ = plan.placeholder_registry;
  // Held until the record is written and the directories exist: a run ending meanwhile sees
  // this record before it decides what to remove.
  UniqueFd lock;
  RegistryState registry;
  if (!out->registry_.empty()) {
    lock = LockRegistry(out->registry_);
    if (lock.valid()) registry = ReadRegistry(out->registry_, "");
  }
  std::vector<std::string> todo;
  for (const auto& p : plan.placeholders) {
    struct stat st;
    if (::lstat(p.path.c_str(), &st) != 0) {
      todo.push_back(p.path);
    } else if (registry.live_paths.count(p.path) != 0) {
      out->adopted_.push_back(p.path);  // appeared since planning: another run's placeholder
    }
  }
  for (const auto& m : plan.mounts) {
    if (registry.live_paths.count(m.target) != 0 &&
        std::find(out->adopted_.begin(), out->adopted_.end(), m.target) == out->adopted_.end()) {
      out->adopted_.push_back(m.target);
    }
  }
  if (todo.empty() && out->adopted_.empty()) return out;
  if (!out->registry_.empty()) {
    CORDON_TRY(MakeDirs(out->registry_, 0700));
    if (!lock.valid()) lock = LockRegistry(out->registry_);  // just made: no records to read
    const pid_t self = ::getpid();
    out->record_ = out->registry_ + "/" + std::to_string(self) + "-" + StartTime(self);
    std::string text;
    for (const auto& p : out->adopted_) text += p + "\n";
    for (const auto& p : todo) text += p + "\n";
    // Written completely before the first directory exists: a crash at any point after this
    // leaves a record naming everything that might have been created.
    UniqueFd fd(::open(out->record_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
    if (!fd.valid()) {
      Error e = ErrnoError("record placeholders in " + out->record_, out->record_);
      out->record_.clear();
      out->adopted_.clear();
      return e;
    }
    if (Status st = WriteAll(fd.get(), text); !st) {
      ::unlink(out->record_.c_str());
      out->record_.clear();
      out->adopted_.clear();
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
      lock.reset();  // Remove takes it again
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
  if (created_.empty() && adopted_.empty() && record_.empty()) return;
  std::vector<std::string> mine = adopted_;
  mine.insert(mine.end(), created_.begin(), created_.end());
  UniqueFd lock;
  RegistryState registry;
  if (!registry_.empty()) {
    lock = LockRegistry(registry_);
    if (lock.valid()) registry = ReadRegistry(registry_, record_);
  }
  RemoveUnlisted(mine, registry.live_paths);
  created_.clear();
  adopted_.clear();
  if (!record_.empty()) ::unlink(record_.c_str());
  record_.clear();
}

HostPlaceholders::~HostPlaceholders() { Remove(); }

int CleanStalePlaceholders(const std::string& registry) {
  UniqueFd lock = LockRegistry(registry);
  if (!lock.valid()) return 0;
  RegistryState state = ReadRegistry(registry, "");
  int removed = 0;
  for (const auto& record : state.stale_records) {
    auto paths = ReadRecord(record);
    if (!paths) continue;  // kept for a later attempt
    removed += RemoveUnlisted(*paths, state.live_paths);
    ::unlink(record.c_str());
  }
  return removed;
}

}  // namespace cordon
