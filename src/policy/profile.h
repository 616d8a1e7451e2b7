// A permission profile as written in config (or built in): the raw, unresolved form.
// Paths are still tokens (":root", ":workspace_roots", "~/x"); policy.h turns a profile into
// concrete rules for one run.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "policy/access.h"

namespace cordon {

// One entry of [permissions.<name>.filesystem]. Either a plain access for `key`, or, for
// ":workspace_roots", a scoped table of paths relative to each workspace root.
struct FsEntry {
  std::string key;                  // "/abs", "~/x", ":root", ":workspace_roots", ...
  std::optional<Access> access;     // set for plain entries
  std::vector<std::pair<std::string, Access>> scoped;  // set for scoped tables, in file order
  std::string where;                // "config.toml:12" or "built-in :workspace" for messages
};

enum class NetworkMode { kNone, kProxy, kFull };
const char* NetworkModeName(NetworkMode mode);
std::optional<NetworkMode> ParseNetworkMode(std::string_view text);

struct NetworkSpec {
  std::optional<NetworkMode> mode;
  std::optional<bool> allow_local_binding;
  std::optional<bool> allow_local_targets;
  std::vector<std::pair<std::string, std::string>> domains;       // pattern -> allow|deny
  std::vector<int> host_ports;
  std::vector<std::pair<std::string, std::string>> unix_sockets;  // path -> allow|deny
  std::vector<std::pair<std::string, std::string>> resolve;  // host -> "addr[,addr...]" (proxy)
};

struct ProfileSpec {
  std::string name;
  std::string description;
  std::string extends;               // empty: none
  std::vector<FsEntry> filesystem;   // in file order
  bool protect_names = true;         // .git/.codex/.agents/.cordon read-only in writable roots
  NetworkSpec network;
  std::string where;
};

// The built-in profiles: ":read-only", ":workspace" (the default), ":danger-full-access".
const std::map<std::string, ProfileSpec>& BuiltinProfiles();
inline constexpr const char* kDefaultProfile = ":workspace";

// Names that stay read-only inside every writable root.
const std::vector<std::string>& ProtectedNames();

}  // namespace cordon
