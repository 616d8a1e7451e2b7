// Expansion of the path arguments of ssh_config(5) directives the way ssh(1) expands them:
// a leading "~" or "~user" (for the current user only), the percent tokens %d (home), %u (user)
// and %%, and ${VAR} from the environment. Tokens that depend on the connection (%h, %p, %r, %C,
// ...) cannot be known ahead of time; for those the result is the directory that holds the
// first unknown component plus a glob `pattern` in which every unknown token is '*', so that
// callers can protect everything ssh could ever create or read there.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace cordon {

// Looks up an environment variable of the user whose SSH config is scanned.
using EnvLookup = std::function<std::optional<std::string>(const std::string& name)>;

struct SshExpandContext {
  std::string home;  // absolute
  std::string user;
  EnvLookup getenv;  // may be empty: every ${VAR} is then unknown
  // Relative results are resolved against this directory. ssh resolves Include against
  // ~/.ssh and other files against its working directory, which is unknown here; cordon uses
  // $HOME for those (documented in docs/home-and-ssh.md).
  std::string relative_base;
  // Include arguments get tilde expansion only, as in ssh; other directives get every token.
  bool tokens = true;
};

struct ExpandedSshPath {
  // Absolute and lexically normalised. When `pattern` is set, the directory holding the first
  // component that contains an unknown token (everything ssh may use lies below it, or matches
  // `pattern` component by component).
  std::string path;
  // Empty when every token was known; else the whole path with each unknown token as '*' and
  // every literal glob character escaped with '\', usable with fnmatch(3)/glob(3).
  std::string pattern;
  // Why an argument gave no path, or what was guessed ("relative path resolved against ...").
  std::string note;
};

// Returns nullopt when the argument names no path below anything this user owns (an empty
// argument, "~otheruser/x"), with the reason in `*why` when `why` is not null.
std::optional<ExpandedSshPath> ExpandSshPath(std::string_view arg, const SshExpandContext& ctx,
                                             std::string* why);

// Escapes '*', '?', '[' and '\' so that `text` matches itself under fnmatch(3).
std::string EscapeGlob(std::string_view text);

}  // namespace cordon
