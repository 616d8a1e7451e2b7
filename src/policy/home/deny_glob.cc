// See deny_glob.h. The matcher is a small NFA: a state is (pattern, component index); each
// directory carries the set of states alive at it, and an entry's states are computed from its
// parent's. "**" is a state that consumes any component and, through its epsilon closure, also
// lets the next component match. A directory with no live state is never opened.
#include "policy/home/deny_glob.h"

#include <dirent.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>

#include "base/error.h"
#include "base/paths.h"
#include "base/unique_fd.h"

namespace cordon {
namespace {

// The record getdents64(2) fills in (linux/dirent.h's linux_dirent64): u64 d_ino, s64 d_off,
// u16 d_reclen, u8 d_type, then the NUL-terminated name. Read by offset (ISO C++ has no
// flexible array members).
constexpr size_t kReclenOffset = 16;
constexpr size_t kTypeOffset = 18;
constexpr size_t kNameOffset = 19;

constexpr size_t kDentsBuffer = 32 * 1024;
constexpr size_t kMaxCappedListed = 100;

enum class CompKind { kStarStar, kAny, kLiteral, kSuffix, kPrefix, kGlob };

struct Component {
  CompKind kind;
  std::string text;  // literal text for kLiteral/kSuffix/kPrefix, the pattern for kGlob
};

struct Pattern {
  std::vector<Component> comps;
  bool dir_only = false;
};

bool HasMeta(std::string_view s) { return s.find_first_of("*?[\\") != std::string_view::npos; }

Component CompileComponent(std::string_view c) {
  if (c == "**") return {CompKind::kStarStar, {}};
  if (c == "*") return {CompKind::kAny, {}};
  if (!HasMeta(c)) return {CompKind::kLiteral, std::string(c)};
  if (c[0] == '*' && !HasMeta(c.substr(1))) return {CompKind::kSuffix, std::string(c.substr(1))};
  if (c.back() == '*' && !HasMeta(c.substr(0, c.size() - 1))) {
    return {CompKind::kPrefix, std::string(c.substr(0, c.size() - 1))};
  }
  return {CompKind::kGlob, std::string(c)};
}

Result<Pattern> CompilePattern(std::string_view text) {
  Pattern p;
  std::string_view s = text;
  while (!s.empty() && s.back() == '/') {
    p.dir_only = true;
    s.remove_suffix(1);
  }
  size_t i = 0;
  while (i <= s.size()) {
    size_t j = s.find('/', i);
    if (j == std::string_view::npos) j = s.size();
    std::string_view c = s.substr(i, j - i);
    i = j + 1;
    if (c.empty() || c == ".") continue;
    if (c == "..")
      return PlainError("parse deny glob \"" + std::string(text) + "\"", "\"..\" is not allowed");
    Component comp = CompileComponent(c);
    if (comp.kind == CompKind::kStarStar && !p.comps.empty() &&
        p.comps.back().kind == CompKind::kStarStar) {
      continue;  // "**/**" is "**"
    }
    p.comps.push_back(std::move(comp));
  }
  if (p.comps.empty())
    return PlainError("parse deny glob \"" + std::string(text) + "\"", "empty pattern");
  return p;
}

bool MatchComponent(const Component& c, const char* name, size_t len) {
  switch (c.kind) {
    case CompKind::kStarStar:
    case CompKind::kAny:
      return true;
    case CompKind::kLiteral:
      return len == c.text.size() && std::memcmp(name, c.text.data(), len) == 0;
    case CompKind::kSuffix:
      return len >= c.text.size() &&
             std::memcmp(name + len - c.text.size(), c.text.data(), c.text.size()) == 0;
    case CompKind::kPrefix:
      return len >= c.text.size() && std::memcmp(name, c.text.data(), c.text.size()) == 0;
    case CompKind::kGlob:
      return ::fnmatch(c.text.c_str(), name, 0) == 0;
  }
  return false;
}

GlobEntryKind KindOfMode(mode_t m) {
  if (S_ISDIR(m)) return GlobEntryKind::kDirectory;
  if (S_ISREG(m)) return GlobEntryKind::kFile;
  if (S_ISLNK(m)) return GlobEntryKind::kSymlink;
  return GlobEntryKind::kOther;
}

GlobEntryKind KindOfDType(unsigned char t) {
  switch (t) {
    case DT_DIR:
      return GlobEntryKind::kDirectory;
    case DT_REG:
      return GlobEntryKind::kFile;
    case DT_LNK:
      return GlobEntryKind::kSymlink;
    default:
      return GlobEntryKind::kOther;
  }
}

using State = uint32_t;  // pattern index << 16 | component index
constexpr State MakeState(uint32_t p, uint32_t i) { return p << 16 | i; }

class Walker {
 public:
  Walker(std::vector<Pattern> patterns, int max_depth)
      : patterns_(std::move(patterns)), max_depth_(max_depth) {
    buffers_.resize(static_cast<size_t>(max_depth) + 1);
    states_.resize(static_cast<size_t>(max_depth) + 2);
  }

  GlobExpansion Run(const std::string& root, int root_fd) {
    path_ = root == "/" ? "" : root;
    std::vector<State>& start = states_[0];
    accepted_.clear();
    for (uint32_t p = 0; p < patterns_.size(); ++p) Add(&start, p, 0, true);
    if (!accepted_.empty()) {
      // "**" matches the root itself.
      out_.matches.push_back({root, GlobEntryKind::kDirectory, accepted_});
    } else {
      Walk(root_fd, 0);
    }
    auto by_path = [](const auto& a, const auto& b) { return a.path < b.path; };
    std::sort(out_.matches.begin(), out_.matches.end(), by_path);
    std::sort(out_.unreadable.begin(), out_.unreadable.end(), by_path);
    return std::move(out_);
  }

 private:
  // Adds state (p, i) and its epsilon closure; reaching the end accepts pattern p (when the
  // entry's type allows it: `is_dir` is only known lazily, so dir-only patterns are recorded
  // in `accepted_dir_only_` and checked by the caller).
  void Add(std::vector<State>* set, uint32_t p, uint32_t i, bool is_root) {
    const Pattern& pat = patterns_[p];
    if (i == pat.comps.size()) {
      std::vector<uint32_t>& acc = pat.dir_only && !is_root ? accepted_dir_only_ : accepted_;
      if (std::find(acc.begin(), acc.end(), p) == acc.end()) acc.push_back(p);
      return;
    }
    State s = MakeState(p, i);
    if (std::find(set->begin(), set->end(), s) != set->end()) return;
    set->push_back(s);
    if (pat.comps[i].kind == CompKind::kStarStar) Add(set, p, i + 1, is_root);
  }

  void Walk(int dir_fd, size_t depth) {
    ++out_.directories_read;
    std::vector<char>& buf = buffers_[depth];
    if (buf.empty()) buf.resize(kDentsBuffer);
    for (;;) {
      long n = ::syscall(SYS_getdents64, dir_fd, buf.data(), buf.size());
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        out_.unreadable.push_back({path_.empty() ? "/" : path_, errno});
        return;
      }
      if (n == 0) return;
      for (long off = 0; off < n;) {
        const char* rec = buf.data() + off;
        unsigned short reclen;
        std::memcpy(&reclen, rec + kReclenOffset, sizeof reclen);
        off += reclen;
        auto type = static_cast<unsigned char>(rec[kTypeOffset]);
        const char* name = rec + kNameOffset;
        if (name[0] == '.' && (name[1] == '\0' || (name[1] == '.' && name[2] == '\0'))) continue;
        ++out_.entries_seen;
        Entry(dir_fd, depth, name, type);
      }
    }
  }

  void Entry(int dir_fd, size_t depth, const char* name, unsigned char d_type) {
    size_t len = std::strlen(name);
    const std::vector<State>& cur = states_[depth];
    std::vector<State>& next = states_[depth + 1];
    next.clear();
    accepted_.clear();
    accepted_dir_only_.clear();
    for (State s : cur) {
      uint32_t p = s >> 16;
      uint32_t i = s & 0xffff;
      const Component& c = patterns_[p].comps[i];
      if (c.kind == CompKind::kStarStar) {
        Add(&next, p, i, false);
      } else if (MatchComponent(c, name, len)) {
        Add(&next, p, i + 1, false);
      }
    }
    if (next.empty() && accepted_.empty() && accepted_dir_only_.empty()) return;
    GlobEntryKind kind = KindOfDType(d_type);
    if (d_type == DT_UNKNOWN) {
      struct stat st;
      if (::fstatat(dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
        out_.unreadable.push_back({Child(name), errno});
        return;
      }
      kind = KindOfMode(st.st_mode);
    }
    if (kind == GlobEntryKind::kDirectory) {
      for (uint32_t p : accepted_dir_only_) {
        if (std::find(accepted_.begin(), accepted_.end(), p) == accepted_.end()) {
          accepted_.push_back(p);
        }
      }
    }
    if (!accepted_.empty()) {
      std::sort(accepted_.begin(), accepted_.end());
      out_.matches.push_back({Child(name), kind, accepted_});
      return;  // a matched directory is denied whole: nothing below needs listing
    }
    if (kind != GlobEntryKind::kDirectory || next.empty()) return;
    if (static_cast<int>(depth) + 2 > max_depth_) {
      out_.depth_cap_hit = true;
      if (out_.depth_capped.size() < kMaxCappedListed) out_.depth_capped.push_back(Child(name));
      return;
    }
    // O_NOFOLLOW: the entry may have been replaced by a symlink since getdents; never follow.
    int fd = ::openat(dir_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
      int err = errno;
      if (err != ENOENT) out_.unreadable.push_back({Child(name), err});  // ENOENT: removed since
      return;
    }
    UniqueFd child(fd);
    size_t old = path_.size();
    path_ += '/';
    path_.append(name, len);
    Walk(child.get(), depth + 1);
    path_.resize(old);
  }

  std::string Child(const char* name) const { return path_ + "/" + name; }

  std::vector<Pattern> patterns_;
  int max_depth_;
  std::vector<std::vector<char>> buffers_;  // one getdents buffer per depth, reused
  std::vector<std::vector<State>> states_;  // live states per depth, reused
  std::vector<uint32_t> accepted_;
  std::vector<uint32_t> accepted_dir_only_;
  std::string path_;  // the directory being read, without a trailing '/'
  GlobExpansion out_;
};

}  // namespace

Status ValidateDenyGlob(std::string_view pattern) {
  Result<Pattern> p = CompilePattern(pattern);
  if (!p) return p.error();
  return OkStatus();
}

Result<GlobExpansion> ExpandDenyGlobs(const std::string& root,
                                      const std::vector<std::string>& patterns, int max_depth) {
  if (max_depth < 1) return PlainError("expand deny globs", "max_depth must be at least 1");
  if (patterns.size() >= 0x10000) return PlainError("expand deny globs", "too many patterns");
  std::vector<Pattern> compiled;
  compiled.reserve(patterns.size());
  for (const std::string& text : patterns) {
    Result<Pattern> p = CompilePattern(text);
    if (!p) return p.error();
    if (p->comps.size() >= 0x10000) return PlainError("parse deny glob", "too many components");
    compiled.push_back(std::move(*p));
  }
  std::string norm = NormalizePath(root);
  int fd = ::open(norm.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return ErrnoError("open " + norm + " to expand deny globs", norm);
  UniqueFd root_fd(fd);
  if (compiled.empty()) return GlobExpansion{};
  return Walker(std::move(compiled), max_depth).Run(norm, root_fd.get());
}

const char* GlobEntryKindName(GlobEntryKind kind) {
  switch (kind) {
    case GlobEntryKind::kFile:
      return "file";
    case GlobEntryKind::kDirectory:
      return "directory";
    case GlobEntryKind::kSymlink:
      return "symlink";
    case GlobEntryKind::kOther:
      return "other";
  }
  return "other";
}

}  // namespace cordon
