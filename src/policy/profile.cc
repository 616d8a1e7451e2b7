#include "policy/profile.h"

namespace cordon {

const char* NetworkModeName(NetworkMode mode) {
  switch (mode) {
    case NetworkMode::kNone: return "none";
    case NetworkMode::kProxy: return "proxy";
    case NetworkMode::kFull: return "full";
  }
  return "?";
}

std::optional<NetworkMode> ParseNetworkMode(std::string_view text) {
  if (text == "none") return NetworkMode::kNone;
  if (text == "proxy") return NetworkMode::kProxy;
  if (text == "full") return NetworkMode::kFull;
  return std::nullopt;
}

namespace {

FsEntry Plain(const char* key, Access access, const char* where) {
  return FsEntry{key, access, {}, where};
}

std::map<std::string, ProfileSpec> MakeBuiltins() {
  std::map<std::string, ProfileSpec> out;

  ProfileSpec read_only;
  read_only.name = ":read-only";
  read_only.description = "the whole filesystem readable, nothing writable, no network";
  read_only.where = "built-in :read-only";
  read_only.filesystem = {Plain(":root", Access::kRead, "built-in :read-only")};
  read_only.network.mode = NetworkMode::kNone;
  out[read_only.name] = read_only;

  ProfileSpec workspace;
  workspace.name = ":workspace";
  workspace.description =
      "the whole filesystem readable; the workspace roots, /tmp and $TMPDIR writable; "
      ".git, .codex, .agents and .cordon read-only; no network";
  workspace.where = "built-in :workspace";
  const char* w = "built-in :workspace";
  workspace.filesystem = {Plain(":root", Access::kRead, w),
                          Plain(":workspace_roots", Access::kWrite, w),
                          Plain(":slash_tmp", Access::kWrite, w),
                          Plain(":tmpdir", Access::kWrite, w)};
  workspace.network.mode = NetworkMode::kNone;
  out[workspace.name] = workspace;

  ProfileSpec full;
  full.name = ":danger-full-access";
  full.description =
      "no filesystem or network restriction (the command still runs in its own PID namespace, "
      "so its process tree dies with it)";
  full.where = "built-in :danger-full-access";
  full.filesystem = {Plain(":root", Access::kWrite, "built-in :danger-full-access")};
  full.protect_names = false;
  full.network.mode = NetworkMode::kFull;
  out[full.name] = full;
  return out;
}

}  // namespace

const std::map<std::string, ProfileSpec>& BuiltinProfiles() {
  static const auto* builtins = new std::map<std::string, ProfileSpec>(MakeBuiltins());
  return *builtins;
}

const std::vector<std::string>& ProtectedNames() {
  static const auto* names = new std::vector<std::string>{".git", ".codex", ".agents", ".cordon"};
  return *names;
}

}  // namespace cordon
