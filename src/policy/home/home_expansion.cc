// See home_expansion.h.
#include "policy/home/home_expansion.h"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <climits>

#include <algorithm>
#include <map>
#include <optional>

#include "base/path_resolver.h"
#include "base/paths.h"
#include "policy/home/home_internal.h"
#include "policy/home/path_pattern.h"

namespace cordon {
namespace {

using home_internal::DirEntry;
using home_internal::ProtectedRel;
using home_internal::RelativeTo;

// Resolved through `resolver` (one per expansion: $HOME's entries share their directories), or
// as written when it cannot be.
std::string Resolved(PathResolver& resolver, const std::string& path) {
  Result<std::string> r = resolver.Resolve(path);
  return r ? *r : path;
}

// Where the symlink at `abs` leads, also when it dangles (ResolvePath stops at a missing
// component, but a dangling link into ~/.ssh must still count as reaching ~/.ssh).
// nullopt for a loop.
std::optional<std::string> LinkTarget(PathResolver& resolver, const std::string& abs) {
  std::string cur = abs;
  for (int hops = 0; hops < 40; ++hops) {  // as the kernel's MAXSYMLINKS
    char buf[PATH_MAX];
    ssize_t n = ::readlink(cur.c_str(), buf, sizeof buf);
    if (n < 0 || static_cast<size_t>(n) >= sizeof buf) return Resolved(resolver, cur);
    std::string target(buf, static_cast<size_t>(n));
    if (!target.empty() && target[0] == '/') {
      cur = NormalizePath(target);
    } else {
      std::string dir = Resolved(resolver, cur.substr(0, cur.rfind('/')));
      cur = NormalizePath(dir + "/" + target);
    }
  }
  return std::nullopt;
}

std::string SshReason(const SshPathRef& ref) {
  if (ref.file.empty()) return "the SSH client configuration file";
  return "named by " + ref.file + ":" + std::to_string(ref.line) + " (" + ref.directive + ")";
}

// A path a symlinked child must not reach, already resolved.
struct Protected {
  std::string abs;      // resolved location (directory prefix for patterns)
  std::string pattern;  // for SSH paths with unknown tokens whose prefix is $HOME or above
  std::string origin;   // lexical path relative to $HOME that this protection comes from
  std::string reason;
};

class Expander {
 public:
  Expander(const std::string& home, HomeGrantAccess access, const SshConfigPaths& ssh,
           const std::vector<std::string>& extra)
      : home_(NormalizePath(home)), real_home_(Resolved(resolver_, home_)), access_(access) {
    nested_ = home_internal::SensitiveRelative(home_, extra, nullptr);
    // A sensitive entry that is a symlink to elsewhere in $HOME (~/.ssh -> ~/dotfiles/ssh)
    // protects its target too.
    size_t n = nested_.size();
    for (size_t i = 0; i < n; ++i) {
      std::string real = Resolved(resolver_, home_ + "/" + nested_[i].rel);
      protected_.push_back({real, "", nested_[i].rel, nested_[i].reason});
      if (real == real_home_ || PathIsUnder(real_home_, real)) {
        fatal_ = "sensitive entry ~/" + nested_[i].rel + " resolves to " + real +
                 ", which contains $HOME";
      }
      std::optional<std::string> rel = RelativeTo(real_home_, real);
      if (rel && *rel != nested_[i].rel) {
        nested_.push_back({*rel, nested_[i].reason + " (target of ~/" + nested_[i].rel + ")"});
      }
    }
    for (const SshPathRef& ref : ssh.refs) AddSsh(ref);
  }

  HomeExpansion Run() {
    if (!fatal_.empty()) {
      out_.error = fatal_;
      return out_;
    }
    Result<std::vector<DirEntry>> children = home_internal::ListDir(home_);
    if (!children) {
      out_.error =
          "cannot list $HOME, so nothing under it is granted: " + children.error().ToString();
      return out_;
    }
    out_.ok = true;
    Expand(home_, "", *children);
    auto by_path = [](const auto& a, const auto& b) { return a.path < b.path; };
    std::sort(out_.rules.begin(), out_.rules.end(), by_path);
    std::sort(out_.excluded.begin(), out_.excluded.end(), by_path);
    return std::move(out_);
  }

 private:
  void AddSsh(const SshPathRef& ref) {
    std::string reason = SshReason(ref);
    std::string real = Resolved(resolver_, ref.path);
    for (const auto& [path, base] : {std::pair{ref.path, home_}, std::pair{real, real_home_}}) {
      if (std::optional<std::string> rel = RelativeTo(base, path)) {
        std::string top = rel->substr(0, rel->find('/'));
        ssh_top_.emplace(top, reason);
        protected_.push_back({real_home_ + "/" + top, "", top, reason});
      } else if (!ref.pattern.empty() && PathIsUnder(base, path)) {
        // Unknown tokens at $HOME level or above (ControlPath ~/.cm-%C): any matching child.
        ssh_patterns_.push_back({ref.pattern, reason});
        protected_.push_back({path, ref.pattern, "", reason});
      } else if (!ref.pattern.empty()) {
        // Outside $HOME with unknown tokens (ControlPath /tmp/ssh-%r@%h:%p): only what the
        // pattern can name is protected, not all of /tmp.
        protected_.push_back({path, ref.pattern, "", reason});
      } else {
        protected_.push_back({real, "", "", reason});
      }
    }
  }

  void Exclude(const std::string& abs, const std::string& reason) {
    out_.excluded.push_back({abs, reason});
  }

  // Why the symlink at `rel` (resolving to `target`) must not be granted, or nullopt.
  std::optional<std::string> SymlinkProblem(const std::string& rel, const std::string& target) {
    if (PathIsUnder(real_home_, target)) return "symlink to " + target + ", which contains $HOME";
    for (const Protected& p : protected_) {
      // Protections that come from below this very entry are handled when it is expanded.
      if (!p.origin.empty() && PathIsUnder(p.origin, rel) && p.origin != rel) continue;
      bool hit = p.pattern.empty()
                     ? PathIsUnder(target, p.abs) || PathIsUnder(p.abs, target)
                     : PathIsUnder(p.abs, target) || PatternTouches(p.pattern, target);
      if (hit) return "symlink to " + target + ", which reaches a protected path: " + p.reason;
    }
    return std::nullopt;
  }

  void Expand(const std::string& dir, const std::string& prefix,
              const std::vector<DirEntry>& children) {
    for (const DirEntry& child : children) {
      std::string rel = prefix.empty() ? child.name : prefix + "/" + child.name;
      std::string abs = dir + (dir == "/" ? "" : "/") + child.name;
      if (std::optional<std::string> why = ExactReason(rel)) {
        Exclude(abs, *why);
        continue;
      }
      if (prefix.empty()) {
        if (auto it = ssh_top_.find(child.name); it != ssh_top_.end()) {
          Exclude(abs, it->second);
          continue;
        }
        bool matched = false;
        for (const auto& [pattern, reason] : ssh_patterns_) {
          if (PatternReaches(pattern, abs)) {
            Exclude(abs, "may be " + reason);
            matched = true;
            break;
          }
        }
        if (matched) continue;
      }
      bool is_dir = child.type == DT_DIR;
      if (child.type == DT_LNK) {
        std::optional<std::string> target = LinkTarget(resolver_, abs);
        if (!target) {
          Exclude(abs, "symlink loop");
          continue;
        }
        if (std::optional<std::string> why = SymlinkProblem(rel, *target)) {
          Exclude(abs, *why);
          continue;
        }
        struct stat st;
        is_dir = ::stat(abs.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
      }
      if (HasNestedBelow(rel) && is_dir) {
        Result<std::vector<DirEntry>> grand = home_internal::ListDir(abs);
        if (!grand) {
          std::string msg = "left out: it holds a sensitive entry and " + grand.error().ToString();
          out_.warnings.push_back(abs + ": " + msg);
          Exclude(abs, msg);
          continue;
        }
        Exclude(abs, "replaced by its children: it holds a sensitive entry");
        Expand(abs, rel, *grand);
        continue;
      }
      out_.rules.push_back({abs, access_});
    }
  }

  std::optional<std::string> ExactReason(const std::string& rel) const {
    for (const ProtectedRel& p : nested_) {
      if (p.rel == rel) return p.reason;
    }
    return std::nullopt;
  }

  bool HasNestedBelow(const std::string& rel) const {
    for (const ProtectedRel& p : nested_) {
      if (p.rel.size() > rel.size() && PathIsUnder(p.rel, rel)) return true;
    }
    return false;
  }

  PathResolver resolver_;  // first: real_home_ is resolved with it
  std::string home_;
  std::string real_home_;
  HomeGrantAccess access_;
  std::vector<ProtectedRel> nested_;
  std::vector<Protected> protected_;
  std::map<std::string, std::string> ssh_top_;                     // top-level child -> reason
  std::vector<std::pair<std::string, std::string>> ssh_patterns_;  // pattern, reason
  std::string fatal_;
  HomeExpansion out_;
};

}  // namespace

HomeExpansion ExpandHomeGrant(const std::string& home, HomeGrantAccess access,
                              const SshConfigPaths& ssh_paths,
                              const std::vector<std::string>& extra_sensitive) {
  return Expander(home, access, ssh_paths, extra_sensitive).Run();
}

}  // namespace cordon
