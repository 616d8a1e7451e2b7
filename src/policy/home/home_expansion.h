// $HOME is never granted as a whole. A read or write rule on exactly $HOME is replaced by rules
// on its direct children, minus the sensitive ones (home_sensitive.h) and minus every top-level
// child that the SSH client configuration reaches into. A sensitive entry that is nested
// (".config/gh") replaces its parent by the parent's children minus that entry, recursively.
//
// SECURITY: fails closed. If $HOME cannot be listed, nothing is granted. A child that cannot be
// listed while looking for a nested sensitive entry is left out. A child that is a symlink is
// left out when its target is, contains or lies below a protected path (~/keys -> ~/.ssh,
// ~/h -> ~). A sensitive entry that is itself a symlink to elsewhere in $HOME protects its
// target too. Pure: reads directories and symlinks only.
#pragma once

#include <string>
#include <vector>

#include "policy/home/ssh_config_scanner.h"

namespace cordon {

// The access of the rule being expanded; the resolver maps its own read/write onto this (a deny
// rule on $HOME needs no expansion).
enum class HomeGrantAccess { kRead, kWrite };

struct HomeRule {
  std::string path;  // absolute, below $HOME (lexical: symlinks are resolved by the resolver)
  HomeGrantAccess access;
};

struct HomeExclusion {
  std::string path;    // absolute
  std::string reason;  // the sensitive entry's reason, "named by ~/.ssh/config:3 (identityfile)"...
};

struct HomeExpansion {
  bool ok = false;  // false: nothing is granted; `error` says why
  std::string error;
  std::vector<HomeRule> rules;          // sorted by path
  std::vector<HomeExclusion> excluded;  // sorted by path
  std::vector<std::string> warnings;    // children left out because they could not be listed
};

// `extra_sensitive`: more paths to keep out, relative to $HOME, "~/..." or absolute (those
// outside $HOME are ignored here). Typically cordon's own state directory.
HomeExpansion ExpandHomeGrant(const std::string& home, HomeGrantAccess access,
                              const SshConfigPaths& ssh_paths,
                              const std::vector<std::string>& extra_sensitive);

}  // namespace cordon
