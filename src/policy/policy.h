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

  // The most specific rule covering `path` (already absolute and resolved) decides it.
  Decision Decide(const std::string& path) const;
  bool FullRead() const;   // ":root" is readable
};

// The paths behind ":minimal": what ordinary programs need to start (loader, libraries, /usr,
// /bin, /etc essentials, certificates, locale). Only those that exist are returned.
std::vector<std::string> MinimalReadPaths();

Result<Policy> ResolvePolicy(const Config& config, const PolicyContext& context);

}  // namespace cordon
