#include "policy/policy.h"

#include <sys/stat.h>

#include <algorithm>
#include <map>
#include <set>

#include "base/paths.h"

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

}  // namespace

std::vector<std::string> MinimalReadPaths() {
  // Why each: the dynamic loader and libraries (/lib*, /usr), programs (/bin, /sbin, /usr/bin),
  // and from /etc only what programs read to start and resolve names: the loader cache, users
  // and groups, name-service config, certificates, locale and time zone, alternatives links.
  static const char* kPaths[] = {
      "/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32",
      "/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d", "/etc/alternatives",
      "/etc/passwd", "/etc/group", "/etc/nsswitch.conf", "/etc/hosts", "/etc/host.conf",
      "/etc/resolv.conf", "/etc/gai.conf", "/etc/localtime", "/etc/timezone",
      "/etc/ssl", "/etc/ca-certificates", "/etc/ca-certificates.conf", "/etc/pki",
      "/etc/locale.alias", "/etc/locale.conf", "/etc/default/locale", "/etc/mime.types",
      "/etc/os-release", "/etc/profile", "/etc/bash.bashrc", "/etc/inputrc", "/etc/terminfo",
      "/etc/gitconfig", "/etc/python3", "/etc/python3.11", "/etc/environment",
      "/etc/login.defs", "/etc/protocols", "/etc/services", "/etc/magic", "/etc/vim",
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
  Decision best;
  size_t best_len = 0;
  for (const auto& rule : rules) {
    if (!PathIsUnder(path, rule.path)) continue;
    const size_t len = rule.path == "/" ? 0 : rule.path.size();
    if (best.rule == nullptr || len > best_len) {
      best = Decision{true, rule.access, &rule};
      best_len = len;
    }
  }
  return best;
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
  auto add_writable_root = [&](const std::string& given, const std::string& origin) -> Status {
    std::string path = ExpandHome(given, context.home);
    if (path.empty() || path[0] != '/') {
      return PlainError("invalid writable root '" + given + "'", "it must be an absolute path");
    }
    auto resolved = ResolvePath(path);
    if (!resolved || !IsDirectory(*resolved)) {
      return PlainError("invalid writable root " + given, "it does not exist or is not a directory");
    }
    if (std::find(policy.workspace_roots.begin(), policy.workspace_roots.end(), *resolved) ==
        policy.workspace_roots.end()) {
      policy.workspace_roots.push_back(*resolved);
    }
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
    auto add = [&](const std::string& raw, Access access) -> Status {
      auto resolved = ResolvePath(raw);
      if (!resolved) return resolved.error();
      candidates.push_back({*resolved, access, origin});
      return OkStatus();
    };
    if (e.key == ":root") {
      CORDON_TRY(add("/", *e.access));
    } else if (e.key == ":minimal") {
      for (const auto& p : MinimalReadPaths()) {
        // :minimal never grants more than read: "write" on it would make /usr writable.
        CORDON_TRY(add(p, *e.access == Access::kWrite ? Access::kRead : *e.access));
      }
      if (*e.access == Access::kWrite) {
        policy.notes.push_back(":minimal is only ever readable; \"write\" was treated as read");
      }
    } else if (e.key == ":workspace_roots") {
      mentions_workspace = true;
      for (const auto& root : policy.workspace_roots) {
        if (e.access) {
          CORDON_TRY(add(root, *e.access));
          continue;
        }
        for (const auto& [sub, access] : e.scoped) {
          if (sub.find_first_of("*?[") != std::string::npos) {
            policy.notes.push_back("deny glob '" + sub + "' (" + e.where +
                                   ") is not supported yet and was ignored");
            continue;
          }
          CORDON_TRY(add(NormalizePath(JoinPath(root, sub)), access));
        }
      }
    } else if (e.key == ":tmpdir") {
      if (config.workspace_write.exclude_tmpdir_env_var) continue;
      if (context.tmpdir.empty() || context.tmpdir[0] != '/') continue;
      if (!IsDirectory(context.tmpdir)) continue;
      CORDON_TRY(add(context.tmpdir, *e.access));
    } else if (e.key == ":slash_tmp") {
      if (config.workspace_write.exclude_slash_tmp) continue;
      CORDON_TRY(add("/tmp", *e.access));
    } else {
      CORDON_TRY(add(NormalizePath(ExpandHome(e.key, context.home)), *e.access));
    }
  }
  if (!mentions_workspace && policy.workspace_roots.size() > 1) {
    policy.notes.push_back("extra writable roots are writable although profile " + name +
                           " does not grant :workspace_roots");
  }

  // One rule per path: on a tie, deny beats write beats read.
  std::map<std::string, Candidate> by_path;
  for (auto& c : candidates) {
    auto it = by_path.find(c.path);
    if (it == by_path.end() || TieRank(c.access) > TieRank(it->second.access)) {
      by_path[c.path] = c;
    }
  }
  for (auto& [path, c] : by_path) policy.rules.push_back({path, c.access, c.origin});

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
