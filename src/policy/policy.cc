#include "policy/policy.h"

#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <map>
#include <set>
#include <unordered_map>

#include "base/path_resolver.h"
#include "base/paths.h"
#include "policy/home/deny_glob.h"
#include "policy/home/home_expansion.h"
#include "policy/home/home_sensitive.h"
#include "policy/home/ssh_config_scanner.h"

namespace cordon {
namespace {

bool IsDirectory(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

bool Exists(const std::string& path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0;
}

// Follows `extends` from `name` to a built-in, detecting cycles and unknown parents.
Result<std::vector<const ProfileSpec*>> ProfileChain(const Config& config,
                                                     const std::string& name) {
  std::vector<const ProfileSpec*> chain;
  std::set<std::string> seen;
  std::string current = name;
  while (!current.empty()) {
    if (!seen.insert(current).second) {
      std::string cycle;
      for (const auto* p : chain) cycle += p->name + " -> ";
      return PlainError("invalid profile " + name, "'extends' forms a cycle: " + cycle + current);
    }
    const ProfileSpec* spec = nullptr;
    if (auto it = config.profiles.find(current); it != config.profiles.end()) {
      spec = &it->second;
    } else if (auto b = BuiltinProfiles().find(current); b != BuiltinProfiles().end()) {
      spec = &b->second;
    }
    if (spec == nullptr) {
      std::string known;
      for (const auto& [n, _] : BuiltinProfiles()) known += " " + n;
      for (const auto& [n, _] : config.profiles) known += " " + n;
      if (chain.empty()) {
        return PlainError("unknown profile '" + current + "'", "known profiles:" + known);
      }
      return PlainError("invalid profile " + chain.back()->name + " (" + chain.back()->where + ")",
                        "it extends unknown profile '" + current + "'; known profiles:" + known);
    }
    chain.push_back(spec);
    current = spec->extends;
  }
  return chain;
}

std::string ExpandHome(const std::string& path, const std::string& home) {
  if (path == "~") return home;
  if (path.rfind("~/", 0) == 0) return home + path.substr(1);
  return path;
}

struct Candidate {
  std::string path;
  Access access;
  std::string origin;
};

// Why a credential default exists, for explain.
std::string SensitiveReason(const std::string& path, const std::string& home,
                            const std::string& cordon_home, const SshConfigPaths& ssh) {
  auto resolved_cordon_home = ResolvePath(cordon_home);
  if (!cordon_home.empty() && (path == NormalizePath(cordon_home) ||
                               (resolved_cordon_home && path == *resolved_cordon_home))) {
    return "cordon's own state directory ($CORDON_HOME)";
  }
  for (const auto& e : kSensitiveHomeEntries) {
    if (path == home + "/" + std::string(e.path))
      return std::string(e.path) + ": " + std::string(e.reason);
  }
  for (const auto& ref : ssh.refs) {
    if (ref.path == path) {
      if (ref.line == 0) return "the SSH client configuration";
      return "named by " + ref.file + ":" + std::to_string(ref.line) + " (" + ref.directive + ")";
    }
  }
  return "credential store (symlink target or SSH config match)";
}

// The rule for exactly `path` in `rules` (sorted by path), or nullptr.
const FsRule* FindExact(const std::vector<FsRule>& rules, std::string_view path) {
  auto it = std::lower_bound(rules.begin(), rules.end(), path,
                             [](const FsRule& r, std::string_view p) { return r.path < p; });
  return it != rules.end() && it->path == path ? &*it : nullptr;
}

}  // namespace

std::vector<std::string> MinimalReadPaths() {
  // Why each: the dynamic loader and libraries (/lib*, /usr), programs (/bin, /sbin, /usr/bin),
  // and from /etc only what programs read to start and resolve names: the loader cache, users
  // and groups, name-service config, certificates, locale and time zone, alternatives links.
  static const char* kPaths[] = {
      "/usr",
      "/bin",
      "/sbin",
      "/lib",
      "/lib32",
      "/lib64",
      "/libx32",
      "/etc/ld.so.cache",
      "/etc/ld.so.conf",
      "/etc/ld.so.conf.d",
      "/etc/alternatives",
      "/etc/passwd",
      "/etc/group",
      "/etc/nsswitch.conf",
      "/etc/hosts",
      "/etc/host.conf",
      "/etc/resolv.conf",
      "/etc/gai.conf",
      "/etc/localtime",
      "/etc/timezone",
      "/etc/ssl",
      "/etc/ca-certificates",
      "/etc/ca-certificates.conf",
      "/etc/pki",
      "/etc/locale.alias",
      "/etc/locale.conf",
      "/etc/default/locale",
      "/etc/mime.types",
      "/etc/os-release",
      "/etc/profile",
      "/etc/bash.bashrc",
      "/etc/inputrc",
      "/etc/terminfo",
      "/etc/gitconfig",
      "/etc/python3",
      "/etc/python3.11",
      "/etc/environment",
      "/etc/login.defs",
      "/etc/protocols",
      "/etc/services",
      "/etc/magic",
      "/etc/vim",
  };
  std::vector<std::string> out;
  for (const char* p : kPaths) {
    if (Exists(p)) out.emplace_back(p);
  }
  return out;
}

bool Policy::FullRead() const {
  Decision d = Decide("/");
  return d.visible && d.access != Access::kDeny && d.rule != nullptr && d.rule->path == "/";
}

Decision Policy::Decide(const std::string& path) const {
  // Rules are sorted by path: look each ancestor of `path` up, nearest first.
  std::string_view p = path;
  for (;;) {
    if (const FsRule* r = FindExact(rules, p)) return Decision{true, r->access, r};
    if (p == "/" || p.empty()) return Decision{};
    const size_t slash = p.rfind('/');
    p = slash == 0 ? std::string_view("/") : p.substr(0, slash);
  }
}

std::vector<const FsRule*> Policy::Covering(const std::string& path) const {
  std::vector<const FsRule*> out;
  std::string_view p = path;
  for (;;) {
    if (const FsRule* r = FindExact(rules, p)) out.push_back(r);
    if (p == "/" || p.empty()) break;
    const size_t slash = p.rfind('/');
    p = slash == 0 ? std::string_view("/") : p.substr(0, slash);
  }
  std::reverse(out.begin(), out.end());
  return out;
}

Result<Policy> ResolvePolicy(const Config& config, const PolicyContext& context) {
  Policy policy;
  std::string name = context.profile;
  if (name.empty()) name = config.default_permissions;
  if (name.empty()) name = kDefaultProfile;

  auto chain = ProfileChain(config, name);
  if (!chain) return chain.error();
  policy.profile = name;
  policy.description = chain->front()->description;
  for (const auto* p : *chain) policy.profile_chain.push_back(p->name);

  // Merge from the most basic ancestor to the profile itself: a key set again by a child replaces
  // the parent's entry for that key.
  std::vector<FsEntry> entries;
  NetworkSpec net;
  policy.protect_names = chain->back()->protect_names;
  for (auto it = chain->rbegin(); it != chain->rend(); ++it) {
    for (const auto& e : (*it)->filesystem) {
      std::erase_if(entries, [&](const FsEntry& old) { return old.key == e.key; });
      entries.push_back(e);
    }
    const NetworkSpec& n = (*it)->network;
    if (n.mode) net.mode = n.mode;
    if (n.allow_local_binding) net.allow_local_binding = n.allow_local_binding;
    if (n.allow_local_targets) net.allow_local_targets = n.allow_local_targets;
    for (const auto& d : n.domains) net.domains.push_back(d);
    for (int p : n.host_ports) net.host_ports.push_back(p);
    for (const auto& u : n.unix_sockets) net.unix_sockets.push_back(u);
    for (const auto& r : n.resolve) net.resolve.push_back(r);
  }

  // The workspace root must exist and be a directory.
  if (context.workspace_root.empty() || context.workspace_root[0] != '/') {
    return PlainError("invalid workspace '" + context.workspace_root + "'",
                      "the workspace root must be an absolute path");
  }
  auto ws = ResolvePath(context.workspace_root);
  if (!ws || !IsDirectory(*ws)) {
    return PlainError("invalid workspace " + context.workspace_root,
                      "it does not exist or is not a directory");
  }
  policy.workspace_root = *ws;
  policy.workspace_roots.push_back(*ws);

  std::vector<Candidate> candidates;
  PathResolver resolver;
  auto trace = [&](const std::string& entry, const std::string& where) -> RuleResolution& {
    policy.resolution.push_back({entry, where, {}});
    return policy.resolution.back();
  };
  // Resolves `raw` through symlinks and records the rule; the trace says when a symlink moved it.
  auto add_resolved = [&](const std::string& raw, Access access, const std::string& origin,
                          RuleResolution& rr) -> Status {
    auto resolved = resolver.Resolve(raw);
    if (!resolved) return resolved.error();
    if (*resolved != raw) {
      rr.steps.push_back("symlink: " + raw + " -> " + *resolved);
      char target[PATH_MAX];
      const ssize_t n = ::readlink(raw.c_str(), target, sizeof target - 1);
      if (n > 0 && access != Access::kDeny) {
        policy.symlinks.emplace_back(raw, std::string(target, static_cast<size_t>(n)));
      }
    }
    candidates.push_back({*resolved, access, origin});
    return OkStatus();
  };
  auto add_writable_root = [&](const std::string& given, const std::string& origin) -> Status {
    std::string path = ExpandHome(given, context.home);
    if (path.empty() || path[0] != '/') {
      return PlainError("invalid writable root '" + given + "'", "it must be an absolute path");
    }
    auto resolved = ResolvePath(path);
    if (!resolved || !IsDirectory(*resolved)) {
      return PlainError("invalid writable root " + given,
                        "it does not exist or is not a directory");
    }
    if (std::find(policy.workspace_roots.begin(), policy.workspace_roots.end(), *resolved) ==
        policy.workspace_roots.end()) {
      policy.workspace_roots.push_back(*resolved);
    }
    RuleResolution& rr = trace(given, origin);
    rr.steps.push_back("writable root " + given + " -> " + *resolved);
    candidates.push_back({*resolved, Access::kWrite, origin});
    return OkStatus();
  };
  for (const auto& r : config.workspace_write.writable_roots) {
    CORDON_TRY(add_writable_root(r, (config.path.empty() ? "config" : config.path) +
                                        " sandbox_workspace_write.writable_roots"));
  }
  for (const auto& r : context.writable_roots) {
    CORDON_TRY(add_writable_root(r, "--writable-root"));
  }

  bool mentions_workspace = false;
  for (const auto& e : entries) {
    const std::string origin = e.where + " " + e.key;
    RuleResolution& rr = trace(e.key, e.where);
    auto add = [&](const std::string& raw, Access access) -> Status {
      return add_resolved(raw, access, origin, rr);
    };
    if (e.key == ":root") {
      rr.steps.push_back(":root -> /");
      CORDON_TRY(add("/", *e.access));
    } else if (e.key == ":minimal") {
      const auto paths = MinimalReadPaths();
      rr.steps.push_back(":minimal -> " + std::to_string(paths.size()) + " paths that exist here");
      for (const auto& p : paths) {
        // :minimal never grants more than read: "write" on it would make /usr writable.
        CORDON_TRY(add(p, *e.access == Access::kWrite ? Access::kRead : *e.access));
      }
      if (*e.access == Access::kWrite) {
        policy.notes.push_back(":minimal is only ever readable; \"write\" was treated as read");
      }
    } else if (e.key == ":workspace_roots") {
      mentions_workspace = true;
      // Globs are denials expanded once per root; everything else is a path below each root.
      std::vector<std::string> globs;
      for (const auto& [sub, access] : e.scoped) {
        if (sub.find_first_of("*?[") == std::string::npos) continue;
        if (access != Access::kDeny) {
          return PlainError("cannot enforce rule :workspace_roots \"" + sub + "\" = \"" +
                                AccessName(access) + "\" (" + e.where + ")",
                            "a glob can only deny; grant the directories by name");
        }
        if (Status st = ValidateDenyGlob(sub); !st) {
          return PlainError("invalid deny glob \"" + sub + "\" (" + e.where + ")",
                            st.error().ToString());
        }
        globs.push_back(sub);
      }
      for (const auto& root : policy.workspace_roots) {
        if (e.access) {
          rr.steps.push_back(":workspace_roots -> " + root);
          CORDON_TRY(add(root, *e.access));
          continue;
        }
        for (const auto& [sub, access] : e.scoped) {
          if (sub.find_first_of("*?[") != std::string::npos) continue;
          const std::string joined = NormalizePath(JoinPath(root, sub));
          if (!PathIsUnder(joined, root)) {
            return PlainError("invalid rule :workspace_roots \"" + sub + "\" (" + e.where + ")",
                              "it leaves the workspace root");
          }
          rr.steps.push_back("\"" + sub + "\" -> " + joined);
          CORDON_TRY(add(joined, access));
        }
        if (globs.empty()) continue;
        auto expanded = ExpandDenyGlobs(root, globs, context.deny_glob_max_depth);
        if (!expanded) {
          return PlainError("cannot expand deny globs in " + root + " (" + e.where + ")",
                            expanded.error().ToString());
        }
        std::string summary = "deny globs in " + root + ":";
        for (const auto& g : globs) summary += " " + g;
        summary += " -> " + std::to_string(expanded->matches.size()) + " matches (" +
                   std::to_string(expanded->directories_read) + " directories read)";
        rr.steps.push_back(summary);
        size_t shown = 0;
        for (const auto& m : expanded->matches) {
          if (shown++ < 20) {
            rr.steps.push_back("  match " + m.path + " (" + GlobEntryKindName(m.kind) + ")");
          }
          CORDON_TRY(add(m.path, Access::kDeny));
        }
        if (shown > 20) rr.steps.push_back("  ... " + std::to_string(shown - 20) + " more");
        for (const auto& u : expanded->unreadable) {
          // What lies below is unknown: deny the whole directory.
          rr.steps.push_back("  unreadable " + u.path + " (" + ErrnoName(u.err) +
                             "): denied whole");
          CORDON_TRY(add(u.path, Access::kDeny));
        }
        if (expanded->depth_cap_hit) {
          policy.notes.push_back("deny globs (" + e.where + "): directories deeper than " +
                                 std::to_string(context.deny_glob_max_depth) + " levels below " +
                                 root + " were not examined");
        }
      }
    } else if (e.key == ":tmpdir") {
      if (config.workspace_write.exclude_tmpdir_env_var) {
        rr.steps.push_back(":tmpdir -> nothing (exclude_tmpdir_env_var)");
        continue;
      }
      if (context.tmpdir.empty() || context.tmpdir[0] != '/' || !IsDirectory(context.tmpdir)) {
        rr.steps.push_back(":tmpdir -> nothing ($TMPDIR unset or not a directory)");
        continue;
      }
      rr.steps.push_back(":tmpdir -> " + context.tmpdir);
      CORDON_TRY(add(context.tmpdir, *e.access));
    } else if (e.key == ":slash_tmp") {
      if (config.workspace_write.exclude_slash_tmp) {
        rr.steps.push_back(":slash_tmp -> nothing (exclude_slash_tmp)");
        continue;
      }
      rr.steps.push_back(":slash_tmp -> /tmp");
      CORDON_TRY(add("/tmp", *e.access));
    } else {
      const std::string expanded = NormalizePath(ExpandHome(e.key, context.home));
      if (expanded != e.key) rr.steps.push_back(e.key + " -> " + expanded);
      CORDON_TRY(add(expanded, *e.access));
    }
  }
  if (!mentions_workspace && policy.workspace_roots.size() > 1) {
    policy.notes.push_back("extra writable roots are writable although profile " + name +
                           " does not grant :workspace_roots");
  }

  // $HOME: a read or write rule on exactly $HOME becomes rules on its children, minus the
  // credential stores and whatever the SSH client configuration names.
  std::string home;
  SshConfigPaths ssh;
  std::vector<std::string> extra_sensitive;
  if (!context.cordon_home.empty()) extra_sensitive.push_back(context.cordon_home);
  if (!context.home.empty() && context.home[0] == '/') {
    if (auto h = ResolvePath(context.home); h && IsDirectory(*h)) home = *h;
  }
  policy.home = home;
  policy.cordon_home = context.cordon_home;
  if (!home.empty()) {
    SshScanInput in;
    in.home = home;
    if (const passwd* pw = ::getpwuid(::getuid()); pw != nullptr) in.user = pw->pw_name;
    in.config_path = home + "/.ssh/config";
    in.getenv = ProcessEnvLookup();
    ssh = ScanSshConfig(in);
    for (const auto& w : ssh.warnings) policy.notes.push_back("ssh config: " + w);
    std::vector<Candidate> expanded;
    for (auto it = candidates.begin(); it != candidates.end();) {
      if (it->path != home || it->access == Access::kDeny) {
        ++it;
        continue;
      }
      Candidate c = *it;
      it = candidates.erase(it);
      RuleResolution& rr = trace("$HOME (" + home + ")", c.origin);
      HomeExpansion hx = ExpandHomeGrant(
          home, c.access == Access::kWrite ? HomeGrantAccess::kWrite : HomeGrantAccess::kRead, ssh,
          extra_sensitive);
      if (!hx.ok) {
        rr.steps.push_back("not granted: " + hx.error);
        policy.notes.push_back("$HOME " + home + " (" + c.origin +
                               ") was not granted: " + hx.error);
        continue;
      }
      rr.steps.push_back(std::string(AccessName(c.access)) + " on $HOME replaced by " +
                         std::to_string(hx.rules.size()) + " rules on its children");
      for (const auto& x : hx.excluded) {
        rr.steps.push_back("  left out " + x.path + ": " + x.reason);
      }
      for (const auto& w : hx.warnings) rr.steps.push_back("  warning: " + w);
      for (const auto& r : hx.rules) {
        auto resolved = resolver.Resolve(r.path);
        if (!resolved) continue;
        if (*resolved != r.path) rr.steps.push_back("  symlink: " + r.path + " -> " + *resolved);
        expanded.push_back({*resolved, c.access, c.origin + " ($HOME child)"});
      }
    }
    candidates.insert(candidates.end(), expanded.begin(), expanded.end());
  }

  // One rule per path: on a tie, deny beats write beats read.
  std::map<std::string, Candidate> by_path;
  std::map<std::string, std::vector<std::string>> tied;
  for (auto& c : candidates) {
    auto it = by_path.find(c.path);
    if (it == by_path.end()) {
      by_path.emplace(c.path, c);
      continue;
    }
    if (it->second.access == c.access && it->second.origin == c.origin) continue;
    if (TieRank(c.access) > TieRank(it->second.access)) {
      tied[c.path].push_back(std::string(AccessName(it->second.access)) + " (" + it->second.origin +
                             ")");
      it->second = c;
    } else {
      tied[c.path].push_back(std::string(AccessName(c.access)) + " (" + c.origin + ")");
    }
  }
  policy.rules.reserve(by_path.size());
  for (auto& [path, c] : by_path) {
    FsRule rule{path, c.access, c.origin, false, {}};
    if (auto t = tied.find(path); t != tied.end()) rule.tied = std::move(t->second);
    policy.rules.push_back(std::move(rule));
  }

  // Credentials stay unreadable by default, even under ":root" = read: every sensitive path the
  // rules would show gets a deny rule of its own. An explicit rule for that exact path opts out.
  if (!home.empty() || !context.cordon_home.empty()) {
    std::vector<std::string> sensitive;
    if (!home.empty()) sensitive = SensitiveHomePaths(home, ssh, extra_sensitive);
    if (!context.cordon_home.empty() && context.cordon_home[0] == '/') {
      sensitive.push_back(NormalizePath(context.cordon_home));
      if (auto r = ResolvePath(context.cordon_home)) sensitive.push_back(*r);
    }
    std::sort(sensitive.begin(), sensitive.end());
    sensitive.erase(std::unique(sensitive.begin(), sensitive.end()), sensitive.end());
    RuleResolution rr{"credentials (default)", "built-in", {}};
    std::vector<FsRule> added;
    for (const auto& path : sensitive) {
      if (by_path.count(path) != 0) {
        rr.steps.push_back("opted out: " + path + " has an explicit rule (" + by_path[path].origin +
                           ")");
        continue;
      }
      // What does not exist has nothing to read; nothing is created for it either (the
      // command may make its own ~/.aws in a writable $HOME, and reads back only that).
      struct stat st;
      if (::lstat(path.c_str(), &st) != 0) continue;
      Decision d = policy.Decide(path);
      if (!d.visible || d.access == Access::kDeny) continue;
      const std::string why = SensitiveReason(path, home, context.cordon_home, ssh);
      rr.steps.push_back("deny " + path + ": " + why);
      added.push_back({path, Access::kDeny, "credentials default: " + why, true, {}});
    }
    if (!added.empty()) {
      policy.rules.insert(policy.rules.end(), added.begin(), added.end());
      std::sort(policy.rules.begin(), policy.rules.end(),
                [](const FsRule& a, const FsRule& b) { return a.path < b.path; });
    }
    if (!rr.steps.empty()) policy.resolution.push_back(std::move(rr));
  }

  // Network.
  policy.network.mode = net.mode.value_or(NetworkMode::kNone);
  if (context.network_mode) policy.network.mode = *context.network_mode;
  policy.network.allow_local_binding = net.allow_local_binding.value_or(false);
  policy.network.allow_local_targets = net.allow_local_targets.value_or(false);
  policy.network.domains = net.domains;
  for (const auto& d : context.allow_domains) policy.network.domains.emplace_back(d, "allow");
  policy.network.host_ports = net.host_ports;
  policy.network.unix_sockets = net.unix_sockets;
  policy.network.resolve = net.resolve;
  return policy;
}

}  // namespace cordon
