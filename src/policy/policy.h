// A resolved policy: the concrete rules for one run, after profile inheritance, token
// expansion (:root, :workspace_roots, ...) and symlink resolution. Pure data; plan/ turns it
// into mounts, Landlock rules and a seccomp filter.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "policy/access.h"
#include "policy/config.h"
#include "policy/profile.h"

namespace cordon {

struct FsRule {
  std::string path;    // absolute, symlinks resolved
  Access access;
  std::string origin;  // where the rule came from, e.g. "config.toml:7 :workspace_roots"
  // A credential default (sensitive $HOME entry, SSH-config path, $CORDON_HOME): when the path
  // does not exist nothing is created for it (no placeholder in $HOME).
  bool credential_default = false;
  // Other rules for the same path that lost the tie (deny beats write beats read), for explain.
  std::vector<std::string> tied = {};
};

// How one filesystem entry of the profile (or one default) turned into rules, for explain.
struct RuleResolution {
  std::string entry;               // ":workspace_roots", "~/notes", "credentials (default)"
  std::string where;               // "config.toml:7", "built-in :workspace"
  std::vector<std::string> steps;  // "~/notes -> /home/u/notes", "symlink /a -> /b", ...
};

struct NetworkPolicy {
  NetworkMode mode = NetworkMode::kNone;
  bool allow_local_binding = false;
  bool allow_local_targets = false;
  std::vector<std::pair<std::string, std::string>> domains;
  std::vector<int> host_ports;
  std::vector<std::pair<std::string, std::string>> unix_sockets;
  std::vector<std::pair<std::string, std::string>> resolve;  // host -> addresses, for the proxy
};

// What the caller knows about this run (flags and environment).
struct PolicyContext {
  std::string workspace_root;               // -C DIR, default the current directory
  std::vector<std::string> writable_roots;  // --writable-root DIR (repeatable)
  std::string profile;                      // --profile/-P; empty: config, then :workspace
  std::string home;                         // $HOME
  std::string tmpdir;                       // $TMPDIR ("" when unset)
  std::optional<NetworkMode> network_mode;  // --network
  std::vector<std::string> allow_domains;   // --allow-domain
  // $CORDON_HOME: unreadable inside by default, and where host placeholders are recorded.
  std::string cordon_home;
  int deny_glob_max_depth = 16;             // depth cap of deny-glob expansion
};

struct Decision {
  bool visible = false;       // false: no rule covers the path, it is not in the sandbox
  Access access = Access::kDeny;
  const FsRule* rule = nullptr;
};

struct Policy {
  std::string profile;
  std::string description;
  std::vector<std::string> profile_chain;   // the profile, then what it extends, ...
  std::string workspace_root;               // resolved
  std::vector<std::string> workspace_roots; // workspace root + extra writable roots, resolved
  std::vector<FsRule> rules;                // one per path, sorted by path
  bool protect_names = true;
  NetworkPolicy network;
  std::vector<std::string> notes;           // things a person should know (explain prints them)
  std::vector<RuleResolution> resolution;   // how each entry resolved (explain)
  std::string home;                         // $HOME as resolved ("" when unknown)
  std::string cordon_home;                  // $CORDON_HOME as given
  // Rule paths that were named through a symlink (/lib -> usr/lib): the link and its text, so a
  // restricted-read sandbox can show the same link (the ELF interpreter is /lib64/ld-linux...).
  std::vector<std::pair<std::string, std::string>> symlinks;

  // The most specific rule covering `path` (already absolute and resolved) decides it.
  // O(depth * log(rules)): a binary search per ancestor of `path`.
  Decision Decide(const std::string& path) const;
  // Every rule covering `path`, least specific first (the last one decides).
  std::vector<const FsRule*> Covering(const std::string& path) const;
  bool FullRead() const;   // ":root" is readable
};

// The paths behind ":minimal": what ordinary programs need to start (loader, libraries, /usr,
// /bin, /etc essentials, certificates, locale). Only those that exist are returned.
std::vector<std::string> MinimalReadPaths();

Result<Policy> ResolvePolicy(const Config& config, const PolicyContext& context);

// `cordon explain --path P`: which rule decides P and why (P is resolved through symlinks
// first), every rule covering it, and what the mount layer and Landlock do about it.
std::string ExplainPath(const Policy& policy, const std::string& path);

}  // namespace cordon
