// The SSH client configuration scanner: which files ssh(1) may read or create on behalf of this
// user, so that cordon never hands them to a sandboxed command. It starts at ~/.ssh/config,
// follows Include (bounded and cycle-safe), and collects the paths named by IdentityFile,
// CertificateFile, UserKnownHostsFile, GlobalKnownHostsFile, RevokedHostKeys, ControlPath,
// IdentityAgent and ForwardAgent, in every Host and Match block, plus the Include files
// themselves.
//
// SECURITY: the scanner never fails open. A file that cannot be read or a line that cannot be
// parsed becomes a warning; everything that could be read is still used, and the sensitive home
// defaults (home_sensitive.h) apply whatever the scan found. Pure: it only opens and reads files
// and directories.
#pragma once

#include <string>
#include <vector>

#include "policy/home/ssh_path_expand.h"

namespace cordon {

struct SshScanInput {
  std::string home;                   // absolute $HOME of the user
  std::string user;                   // for %u and "~user"
  std::string config_path;            // normally home + "/.ssh/config"
  EnvLookup getenv;                   // the user's environment, for ${VAR} and IdentityAgent $VAR
  int max_include_depth = 16;         // as OpenSSH's READCONF_MAX_DEPTH
  size_t max_file_bytes = 16u << 20;  // longer files are read up to here, with a warning
};

// One path found in the configuration, with where it came from (for `cordon explain`).
struct SshPathRef {
  std::string path;       // absolute, normalised (see ExpandedSshPath::path)
  std::string pattern;    // non-empty when the path holds unknown tokens or Include globs
  std::string directive;  // lower-case keyword ("identityfile", "include"), or "config"
  std::string file;       // the config file that named it
  int line = 0;           // 1-based; 0 for the starting config itself
};

struct SshConfigPaths {
  std::vector<SshPathRef> refs;            // in the order found, duplicates kept
  std::vector<std::string> files_scanned;  // config files read (fully or partly)
  std::vector<std::string> warnings;       // "<file>:<line>: <problem>" and unreadable files

  // The distinct `path` values, sorted.
  std::vector<std::string> Paths() const;
};

SshConfigPaths ScanSshConfig(const SshScanInput& input);

// An EnvLookup over the calling process's environment (getenv(3)).
EnvLookup ProcessEnvLookup();

}  // namespace cordon
