// cordon's configuration: the TOML file ($CORDON_HOME/config.toml, or --config FILE) with the
// `-c key=value` overrides applied on top, checked against the schema before anything runs.
// Unknown keys and wrong types are errors that name the file, line and key.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include <toml++/toml.h>

#include "base/result.h"
#include "policy/profile.h"

namespace cordon {

struct WorkspaceWriteSettings {
  std::vector<std::string> writable_roots;  // absolute or ~/..., validated
  bool exclude_slash_tmp = false;
  bool exclude_tmpdir_env_var = false;
};

struct Config {
  std::string path;                    // the file that was read; empty when there was none
  std::string default_permissions;     // empty: the built-in default
  std::map<std::string, ProfileSpec> profiles;  // user profiles from [permissions.<name>]
  WorkspaceWriteSettings workspace_write;
  // The whole merged document, for subsystems that own their own tables ([otel]).
  std::shared_ptr<const toml::table> document;
};

struct ConfigSource {
  std::string explicit_path;           // --config FILE (must exist)
  std::string cordon_home;             // $CORDON_HOME or ~/.cordon
  std::vector<std::string> overrides;  // -c key=value, in order
};

// $CORDON_HOME, else ~/.cordon (from $HOME, else the passwd entry).
std::string DefaultCordonHome();

Result<Config> LoadConfig(const ConfigSource& source);
// Parses a config from text (tests, and `-c` handling). `name` is used in messages.
Result<Config> ParseConfig(std::string_view text, const std::string& name,
                           const std::vector<std::string>& overrides = {});

}  // namespace cordon
