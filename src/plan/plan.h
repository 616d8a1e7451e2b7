// The plan: exactly what the executor will do for one run, computed from a resolved policy
// before anything changes. Pure and printable (`cordon explain`), with golden tests.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/result.h"
#include "policy/policy.h"

namespace cordon {

enum class MountKind {
  kRootFromHost,  // the new root is a recursive clone of the host's "/"
  kRootEmpty,     // the new root is an empty tmpfs: only what rules grant appears
  kBind,          // bind `source` at `target` (recursive), read-only or writable
  kMaskDir,       // an empty, read-only directory hides `target`
  kMaskFile,      // an empty, read-only, mode-000 file hides `target`
  kProc,          // a fresh procfs for the sandbox's PID namespace
  kDev,           // a minimal /dev: null zero full random urandom tty, pts, shm
};

// A mount point made inside a mask directory's fresh tmpfs (before it is made read-only), for a
// path re-opened below a denied directory. `rel` is relative to the mask's target.
struct MountPoint {
  std::string rel;
  bool file = false;
};

struct MountOp {
  MountKind kind;
  std::string source;   // host path (kBind)
  std::string target;   // path inside the sandbox
  bool writable = false;
  std::string why;      // the rule or protection this implements
  // The target may vanish between planning and mounting (a host unix socket that is removed):
  // then there is nothing to hide and the step is skipped instead of failing the run.
  bool skip_if_missing = false;
  // kMaskDir: mount points for what is re-opened below the denied directory. Non-empty makes
  // the mask traversable (mode 0111: enter, not list) instead of mode 0000.
  std::vector<MountPoint> mount_points = {};
};

// An empty directory cordon creates on the host before the sandbox starts, so that a rule on a
// path that does not exist yet (a carve-out, a protected name) has something to mount on and
// the command cannot create it; removed after the run (linux/host_placeholders.h).
struct Placeholder {
  std::string path;
  std::string why;
};

// Landlock is expressed in the plan as plain grants; linux/landlock.cc maps them to the best
// ABI the kernel offers.
struct LandlockGrant {
  std::string path;
  bool write = false;   // false: read and execute only
  std::string why;
};

struct EnvEdit {
  enum class Kind { kUnset, kSet };
  Kind kind;
  std::string name;
  std::string value;
  std::string why;
};

// The sandbox's network wiring in "none" and "proxy" modes: listening sockets the init creates on
// the sandbox's loopback, handed to cordon, which serves them on the host side (net/).
struct NetworkPlan {
  bool proxy = false;        // HTTP and SOCKS5 proxies on the sandbox's loopback
  uint16_t http_port = 0;    // inside the sandbox, 127.0.0.1
  uint16_t socks_port = 0;
  std::vector<uint16_t> host_ports;  // each forwarded to the same port on the host's loopback
  std::vector<std::pair<std::string, std::string>> domains;  // validated: pattern -> allow|deny
  std::vector<std::string> resolve;  // resolver overrides, "host:addr[,addr...]" (validated)
  bool allow_local_targets = false;
  std::vector<std::string> hidden_unix_sockets;  // host sockets masked in the mount plan

  // The listeners, in the order the init creates and sends them: proxies first, then host ports.
  std::vector<uint16_t> ListenerPorts() const;
};

// At most this many host ports (the init sends every listener in one fixed-size message).
inline constexpr size_t kMaxHostPorts = 32;
inline constexpr size_t kMaxNetworkListeners = kMaxHostPorts + 2;

struct IdMapping {
  uid_t inside = 0;
  uid_t outside = 0;
  uint64_t count = 1;
};

struct Plan {
  std::string profile;
  std::string workspace_root;
  std::vector<std::string> argv;
  std::string cwd;                      // inside the sandbox

  // Namespaces: user, mount, pid, ipc, uts and cgroup always; net unless the network is "full".
  bool new_network_namespace = true;
  IdMapping uid_map;
  IdMapping gid_map;
  bool deny_setgroups = true;           // required to map groups as an unprivileged user
  // Root keeps the capabilities that act on files it may already touch (inside the user
  // namespace, so only on files mapped into it); everyone else keeps none. See docs/security.md.
  std::vector<std::string> kept_capabilities;

  std::vector<MountOp> mounts;          // applied in order
  // kRootEmpty: symlinks recreated in the empty root (/bin -> usr/bin, /lib64 -> usr/lib64), for
  // readable rules named through a link whose parent is not visible. {link, target text}.
  std::vector<std::pair<std::string, std::string>> root_symlinks;
  // Created on the host before the sandbox starts, deepest last; removed after the run (only
  // while still empty). Recorded under `placeholder_registry` so a run killed with SIGKILL is
  // cleaned up by the next start.
  std::vector<Placeholder> placeholders;
  std::string placeholder_registry;
  std::vector<LandlockGrant> landlock;  // the filesystem allow-list for Landlock
  bool landlock_full_coverage = false;  // true when Landlock alone enforces every rule
  std::vector<std::string> landlock_gaps;  // rules only the mount layer enforces, and why
  // Landlock handles TCP bind and connect (ABI >= 4): both denied, except connect to
  // `landlock_tcp_connect_ports` (the proxy and host-port listeners on the sandbox's loopback).
  // False in "full" mode and with allow_local_binding.
  bool landlock_tcp_denied = true;
  std::vector<uint16_t> landlock_tcp_connect_ports;

  NetworkPlan network;

  std::vector<EnvEdit> env_edits;
  std::vector<std::string> env;         // the command's final environment ("NAME=value")
  std::vector<std::string> notes;
};

struct PlanInputs {
  std::vector<std::string> argv;
  std::string cd;                       // --cd DIR (inside the workspace); empty: the root
  std::vector<std::string> env;         // cordon's environment
  uid_t uid = 0;
  gid_t gid = 0;
  // Listening pathname unix sockets on the host (ListeningUnixSockets()); those the sandbox
  // could see are hidden in "none" and "proxy" modes unless network.unix_sockets allows them.
  std::vector<std::string> host_unix_sockets;
};

Result<Plan> BuildPlan(const Policy& policy, const PlanInputs& inputs);

// Variables removed from the command's environment, with the reason for each.
const std::vector<std::pair<std::string, std::string>>& ScrubbedEnvironment();

std::string PlanToText(const Plan& plan, const Policy& policy);
// `cordon explain --path P`: ExplainPath (the deciding rule) plus what the mount plan does at P
// beyond the rules: the deepest mount covering it (a protected name, a placeholder, a mask).
std::string ExplainPathInPlan(const Plan& plan, const Policy& policy, const std::string& path);
nlohmann::json PlanToJson(const Plan& plan, const Policy& policy);
const char* MountKindName(MountKind kind);

}  // namespace cordon
