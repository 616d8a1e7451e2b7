// The credential stores that stay out of a sandbox by default: the children of $HOME that are
// never granted when a rule grants $HOME itself, and that stay unreadable even under a rule
// that makes the whole filesystem readable. Each entry says why it is here; docs/home-and-ssh.md
// prints the same list. A profile can opt out per path, explicitly, in the policy layer.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "policy/home/ssh_config_scanner.h"

namespace cordon {

struct SensitiveHomeEntry {
  std::string_view path;    // relative to $HOME; may be nested (".config/gh")
  std::string_view reason;  // shown by `cordon explain`
};

inline constexpr SensitiveHomeEntry kSensitiveHomeEntries[] = {
    {".ssh", "SSH private keys, certificates, known hosts, agent and control sockets"},
    {".gnupg", "GnuPG private keys and the gpg-agent socket"},
    {".aws", "AWS access keys and SSO tokens"},
    {".azure", "Azure CLI access and refresh tokens"},
    {".kube", "kubeconfig: cluster credentials and client certificates"},
    {".docker", "Docker registry credentials (config.json auths)"},
    {".config/gh", "GitHub CLI OAuth token (hosts.yml)"},
    {".netrc", "plaintext passwords used by curl, git, ftp and others"},
    {".pki", "NSS certificate and private-key database (Chromium, curl-nss)"},
    {".terraform.d", "Terraform Cloud API tokens (credentials.tfrc.json)"},
    {".tsh", "Teleport user certificates and keys"},
    {".brev", "Brev access tokens"},
    {".config/gcloud", "Google Cloud SDK credentials and application-default tokens"},
    {".git-credentials", "git credential-store plaintext passwords and tokens"},
    {".config/git/credentials", "git credential-store file at its XDG location"},
    {".password-store", "pass(1) password store"},
    {".npmrc", "npm registry auth tokens (_authToken); npm works without it for public packages"},
    {".pypirc", "PyPI upload passwords and tokens (used by twine, not by pip)"},
    {".cargo/credentials", "crates.io publish token (old file name)"},
    {".cargo/credentials.toml", "crates.io publish token"},
    {".gem/credentials", "RubyGems API key"},
    {".vault-token", "HashiCorp Vault token"},
    {".pgpass", "PostgreSQL passwords"},
    {".my.cnf", "MySQL client passwords"},
    {".boto", "gsutil/boto credentials"},
    {".s3cfg", "s3cmd access keys"},
    {".oci", "Oracle Cloud API signing keys"},
    {".config/doctl", "DigitalOcean API token"},
    {".config/rclone", "rclone remotes' OAuth tokens and passwords"},
    {".config/hub", "hub (GitHub) OAuth token"},
    {".local/share/keyrings", "GNOME keyring databases"},
    {".mozilla", "Firefox profiles: cookies, saved passwords, session tokens"},
    {".config/google-chrome", "Chrome profiles: cookies, saved passwords, session tokens"},
    {".config/chromium", "Chromium profiles: cookies, saved passwords, session tokens"},
    {".Xauthority", "X11 cookie: connecting to the display allows keystroke injection"},
    {".ICEauthority", "ICE session-manager cookie"},
    {".cordon", "cordon's own state (default $CORDON_HOME)"},
};

// Absolute paths that must stay unreadable by default, even under a rule that makes the whole
// filesystem readable: $HOME/<entry> for every sensitive entry and every `extra_sensitive`
// path (relative to $HOME, "~/..." or absolute), each also through its symlinks when it is one,
// plus what the SSH configuration names: the exact files, and for paths with unknown tokens
// the directory that holds them when it lies strictly below $HOME, else the entries that match
// the pattern now. Entries that do not exist are included (a missing credential store must not
// be creatable either). Sorted, without duplicates.
std::vector<std::string> SensitiveHomePaths(const std::string& home, const SshConfigPaths& ssh,
                                            const std::vector<std::string>& extra_sensitive = {});

}  // namespace cordon
