// Edits of the user's config file made by cordon itself (`cordon grant-read DIR`). The file is
// edited as text, not re-serialised, so the user's comments, order and formatting stay exactly
// as they were; the result is parsed and checked before it replaces the file atomically.
#pragma once

#include <string>

#include "base/result.h"

namespace cordon {

struct GrantReadResult {
  std::string config_path;
  std::string profile;
  std::string path;      // the directory granted, absolute and resolved
  bool changed = false;  // false: it was readable already, nothing was written
  std::string message;   // one line for the user
};

// Adds `"<dir>" = "read"` to [permissions.<profile>.filesystem] in `config_path` (created, with
// its directory, when missing). `profile` empty: the config's default_permissions. Refuses
// built-in profiles and profiles that read everything already (:root), a directory the profile
// denies explicitly, and an inline `filesystem = { ... }` table (it cannot be extended safely
// as text): each with a message saying what to do instead.
Result<GrantReadResult> GrantReadInConfig(const std::string& config_path,
                                          const std::string& profile, const std::string& dir);

}  // namespace cordon
