#include "plan/plan.h"

#include <sys/stat.h>

#include <algorithm>
#include <map>
#include <set>

#include "base/paths.h"
#include "plan/git_context.h"
#include "plan/network_plan.h"

namespace cordon {
namespace {

enum class Kind { kMissing, kDir, kFile, kOther };

Kind KindOf(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return Kind::kMissing;
  if (S_ISDIR(st.st_mode)) return Kind::kDir;
  if (S_ISREG(st.st_mode)) return Kind::kFile;
  return Kind::kOther;
}

// The nearest rule strictly above `path`, as the policy decides it.
Decision ParentDecision(const Policy& policy, const std::string& path) {
  if (path == "/") return Decision{};
  const size_t slash = path.rfind('/');
  return policy.Decide(slash == 0 ? "/" : path.substr(0, slash));
}

std::string EnvName(const std::string& entry) { return entry.substr(0, entry.find('=')); }

void SetEnv(std::vector<std::string>& env, const std::string& name, const std::string& value) {
  const std::string prefix = name + "=";
  for (auto& e : env) {
    if (e.rfind(prefix, 0) == 0) {
      e = prefix + value;
      return;
    }
  }
  env.push_back(prefix + value);
}

// Read-only protection of the protected names inside one writable root.
Status ProtectNames(const Policy& policy, const std::string& root, Plan& plan,
                    std::set<std::string>& protected_paths) {
  auto protect = [&](const std::string& path, const std::string& why) {
    if (!protected_paths.insert(path).second) return;
    // Only paths the policy would let the command write need a read-only re-bind.
    Decision d = policy.Decide(path);
    if (!d.visible || d.access != Access::kWrite) return;
    plan.mounts.push_back({MountKind::kBind, path, path, false, why});
  };
  for (const auto& name : ProtectedNames()) {
    const std::string path = root == "/" ? "/" + name : root + "/" + name;
    struct stat st;
    if (::lstat(path.c_str(), &st) != 0) continue;  // missing: nothing to protect yet
    if (S_ISLNK(st.st_mode)) {
      // A symlinked marker: protect what it points to (mounting onto the link would follow it
      // anyway, and the link itself only changes the command's own view).
      auto target = ResolvePath(path);
      if (target && KindOf(*target) != Kind::kMissing) {
        protect(*target, "protected " + name + " (symlink target) in writable root " + root);
      }
      continue;
    }
    protect(path, "protected " + name + " in writable root " + root);
    if (name == ".git" && S_ISREG(st.st_mode)) {
      // A linked worktree or submodule: the .git file names the real git directory, and that
      // directory's commondir names the shared repository. Both stay read-only.
      if (auto gitdir = ReadGitFile(path)) {
        protect(*gitdir, "git directory of " + path);
        if (auto common = ReadCommonDir(*gitdir)) protect(*common, "common git directory of " + path);
      }
    }
  }
  return OkStatus();
}

}  // namespace

const std::vector<std::pair<std::string, std::string>>& ScrubbedEnvironment() {
  static const auto* vars = new std::vector<std::pair<std::string, std::string>>{
      {"SSH_AUTH_SOCK", "the host's SSH agent: signing with the user's keys"},
      {"SSH_AGENT_PID", "the host's SSH agent"},
      {"GPG_AGENT_INFO", "the host's GPG agent"},
      {"DISPLAY", "X11 display: input injection and screen capture"},
      {"WAYLAND_DISPLAY", "Wayland compositor socket"},
      {"XAUTHORITY", "X11 credentials"},
      {"DBUS_SESSION_BUS_ADDRESS", "the desktop session bus (can start programs on the host)"},
      {"DBUS_SYSTEM_BUS_ADDRESS", "the system bus"},
      {"DOCKER_HOST", "the Docker daemon: root on the host"},
      {"CONTAINER_HOST", "the Podman service"},
      {"TMUX", "the host's tmux server: typing into the user's other panes"},
      {"TMUX_PANE", "the host's tmux server"},
      {"STY", "the host's screen session"},
      {"SWAYSOCK", "the Sway compositor's IPC socket"},
      {"I3SOCK", "the i3 window manager's IPC socket"},
      {"HYPRLAND_INSTANCE_SIGNATURE", "the Hyprland compositor's IPC"},
      {"KITTY_LISTEN_ON", "remote control of the user's kitty terminal"},
      {"NOTIFY_SOCKET", "systemd service notification socket"},
      {"LISTEN_FDS", "systemd socket activation (the fds do not cross)"},
      {"LISTEN_PID", "systemd socket activation"},
      {"LISTEN_FDNAMES", "systemd socket activation"},
      {"JOURNAL_STREAM", "the host's journal stream"},
      {"INVOCATION_ID", "the host's systemd unit"},
      {"CORDON_HOME", "cordon's own state directory stays cordon's"},
      {"TRACEPARENT", "replaced by the command's own trace context"},
      {"TRACESTATE", "replaced by the command's own trace context"},
  };
  return *vars;
}

Result<Plan> BuildPlan(const Policy& policy, const PlanInputs& inputs) {
  Plan plan;
  plan.profile = policy.profile;
  plan.workspace_root = policy.workspace_root;
  if (inputs.argv.empty()) {
    return PlainError("nothing to run", "give a command after --, e.g. cordon exec -- make test");
  }
  plan.argv = inputs.argv;

  // Working directory: the workspace root, or --cd DIR inside it.
  plan.cwd = policy.workspace_root;
  if (!inputs.cd.empty()) {
    std::string cd = NormalizePath(JoinPath(policy.workspace_root, inputs.cd));
    auto resolved = ResolvePath(cd);
    if (!resolved || KindOf(*resolved) != Kind::kDir) {
      return PlainError("invalid --cd " + inputs.cd, "it does not exist or is not a directory");
    }
    bool inside = false;
    for (const auto& root : policy.workspace_roots) inside = inside || PathIsUnder(*resolved, root);
    if (!inside) {
      return PlainError("invalid --cd " + inputs.cd,
                        "it must be inside the workspace " + policy.workspace_root);
    }
    plan.cwd = *resolved;
  }

  // Namespaces and identity.
  CORDON_TRY(PlanNetwork(policy, plan));
  plan.new_network_namespace = policy.network.mode != NetworkMode::kFull;
  if (inputs.uid == 0) {
    // Root maps every id to itself, so files keep their real owners and root's command can still
    // act on any file in a writable root, as it could without cordon.
    plan.uid_map = {0, 0, 4294967295ULL};
    plan.gid_map = {0, 0, 4294967295ULL};
    plan.deny_setgroups = false;
    plan.kept_capabilities = {"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER",
                              "CAP_FSETID"};
  } else {
    plan.uid_map = {inputs.uid, inputs.uid, 1};
    plan.gid_map = {inputs.gid, inputs.gid, 1};
    plan.deny_setgroups = true;
  }

  // Mounts: the base, then every rule from the shallowest path to the deepest (rules are sorted
  // by path, so a parent always comes before what lies below it), then the protections.
  const Decision root = policy.Decide("/");
  const bool host_root = root.visible && root.rule != nullptr && root.rule->path == "/" &&
                         root.access != Access::kDeny;
  if (host_root) {
    plan.mounts.push_back({MountKind::kRootFromHost, "/", "/", root.access == Access::kWrite,
                           root.rule->origin});
  } else {
    plan.mounts.push_back({MountKind::kRootEmpty, "", "/", false,
                           "restricted read: only the readable roots appear"});
    // Links through which readable roots were named (/bin -> usr/bin) appear as links, unless
    // their directory is visible anyway.
    for (const auto& [link, target] : policy.symlinks) {
      if (ParentDecision(policy, link).visible || policy.Decide(link).visible) continue;
      if (std::find_if(plan.root_symlinks.begin(), plan.root_symlinks.end(), [&](const auto& l) {
            return l.first == link;
          }) != plan.root_symlinks.end()) {
        continue;
      }
      plan.root_symlinks.emplace_back(link, target);
    }
  }

  // A path that does not exist yet but must not be creatable gets an empty placeholder
  // directory on the host (with its missing parents), removed after the run. Its mounts are
  // skip_if_missing: when cordon itself may not create it (HostPlaceholders skips it), the
  // command, which never has more rights on the host than cordon, cannot create it either.
  std::set<std::string> placeholder_set;
  auto add_placeholder = [&](const std::string& path, const std::string& why) -> Status {
    if (path.find('\n') != std::string::npos) {
      return PlainError("cannot enforce " + why, "the path contains a newline");
    }
    std::vector<std::string> chain;
    for (std::string p = path; p != "/";) {
      struct stat st;
      if (::lstat(p.c_str(), &st) == 0) break;
      chain.push_back(p);
      const size_t slash = p.rfind('/');
      p = slash == 0 ? "/" : p.substr(0, slash);
    }
    for (auto it = chain.rbegin(); it != chain.rend(); ++it) {
      if (placeholder_set.insert(*it).second) plan.placeholders.push_back({*it, why});
    }
    return OkStatus();
  };

  for (const auto& rule : policy.rules) {
    if (rule.path == "/") continue;
    const Decision parent = ParentDecision(policy, rule.path);
    const Kind kind = KindOf(rule.path);
    const bool parent_same = parent.visible && parent.access == rule.access;
    if (parent_same) continue;  // already covered exactly by the parent's mount
    const bool parent_writable = parent.visible && parent.access == Access::kWrite;
    auto rule_text = [&rule] {
      return "rule " + rule.path + " = " + AccessName(rule.access) + " (" + rule.origin + ")";
    };
    if (rule.access == Access::kDeny) {
      if (!parent.visible) continue;  // not visible at all: nothing to hide
      if (kind == Kind::kMissing) {
        // A read-only parent: it cannot appear. A credential default that does not exist gets
        // no placeholder in $HOME (the command may create its own; nothing is there to read).
        if (!parent_writable || rule.credential_default) continue;
        CORDON_TRY(add_placeholder(rule.path, rule_text() + ": the path does not exist yet"));
        plan.mounts.push_back({MountKind::kMaskDir, "", rule.path, false,
                               "deny (placeholder, did not exist): " + rule.origin, true});
        continue;
      }
      plan.mounts.push_back({kind == Kind::kDir ? MountKind::kMaskDir : MountKind::kMaskFile, "",
                             rule.path, false, "deny: " + rule.origin});
      continue;
    }
    if (kind == Kind::kMissing) {
      if (parent_writable) {
        // A read carve-out inside a writable tree that does not exist yet: an empty read-only
        // directory stands in, so the command can neither create it nor write there.
        CORDON_TRY(add_placeholder(rule.path, rule_text() + ": the path does not exist yet"));
        plan.mounts.push_back({MountKind::kBind, rule.path, rule.path,
                               rule.access == Access::kWrite,
                               std::string(AccessName(rule.access)) +
                                   " (placeholder, did not exist): " + rule.origin,
                               true});
        continue;
      }
      plan.notes.push_back(rule_text() + " names a path that does not exist; skipped (the command "
                                       "cannot create it either)");
      continue;
    }
    plan.mounts.push_back({MountKind::kBind, rule.path, rule.path,
                           rule.access == Access::kWrite,
                           std::string(AccessName(rule.access)) + ": " + rule.origin});
  }
  if (policy.protect_names) {
    std::set<std::string> protected_paths;
    for (const auto& rule : policy.rules) {
      if (rule.access != Access::kWrite) continue;
      CORDON_TRY(ProtectNames(policy, rule.path, plan, protected_paths));
    }
    // Protected names that do not exist in a writable workspace root cannot be created either;
    // except .git in a root that is not inside any repository, so `git init` works.
    for (const auto& ws_root : policy.workspace_roots) {
      const Decision d = policy.Decide(ws_root);
      if (!d.visible || d.access != Access::kWrite) continue;
      const bool in_repository = FindWorktreeRoot(ws_root).has_value();
      for (const auto& name : ProtectedNames()) {
        const std::string path = ws_root == "/" ? "/" + name : ws_root + "/" + name;
        struct stat st;
        if (::lstat(path.c_str(), &st) == 0) continue;
        if (name == ".git" && !in_repository) continue;
        if (policy.Decide(path).access != Access::kWrite) continue;  // a rule of its own holds it
        if (!protected_paths.insert(path).second) continue;
        CORDON_TRY(add_placeholder(path, "protected name " + name + " in " + ws_root));
        plan.mounts.push_back({MountKind::kBind, path, path, false,
                               "protected " + name + " (placeholder, did not exist) in writable "
                               "root " + ws_root,
                               true});
      }
    }
  }
  AddUnixSocketMasks(policy, inputs, plan);

  // Mount points inside masks: a path re-opened below a denied directory is mounted on a mount
  // point made in the mask's own tmpfs before that tmpfs is made read-only.
  {
    std::map<std::string, size_t> op_at;
    for (size_t i = 1; i < plan.mounts.size(); ++i) {
      const MountOp& op = plan.mounts[i];
      if (op.kind != MountKind::kBind && op.kind != MountKind::kMaskDir &&
          op.kind != MountKind::kMaskFile) {
        continue;
      }
      std::string p = op.target;
      while (p != "/") {
        const size_t slash = p.rfind('/');
        p = slash == 0 ? "/" : p.substr(0, slash);
        auto it = op_at.find(p);
        if (it == op_at.end()) continue;
        MountOp& above = plan.mounts[it->second];
        if (above.kind == MountKind::kMaskDir) {
          const bool file = op.kind == MountKind::kMaskFile ||
                            (op.kind == MountKind::kBind && KindOf(op.source) != Kind::kDir);
          above.mount_points.push_back({op.target.substr(p == "/" ? 1 : p.size() + 1), file});
        }
        break;
      }
      op_at[op.target] = i;
    }
  }
  // Always named, so every start also cleans up after runs that were killed.
  if (!policy.cordon_home.empty()) plan.placeholder_registry = policy.cordon_home + "/placeholders";
  // Recording placeholders creates $CORDON_HOME when it is missing, after the rules were
  // resolved (so no credential default covers it): if it would show up in the sandbox (a
  // workspace that is $HOME gets ~/.cordon), hide the first directory that will be created.
  if (!plan.placeholders.empty() && !policy.cordon_home.empty() && policy.cordon_home[0] == '/') {
    std::string first_missing;
    for (std::string p = NormalizePath(policy.cordon_home); p != "/";) {
      struct stat st;
      if (::lstat(p.c_str(), &st) == 0) break;
      first_missing = p;
      const size_t slash = p.rfind('/');
      p = slash == 0 ? "/" : p.substr(0, slash);
    }
    const Decision d = first_missing.empty() ? Decision{} : policy.Decide(first_missing);
    if (d.visible && d.access != Access::kDeny) {
      plan.mounts.push_back({MountKind::kMaskDir, "", first_missing, false,
                             "deny: cordon's state directory ($CORDON_HOME), created for the "
                             "placeholder records"});
    }
  }
  plan.mounts.push_back({MountKind::kProc, "", "/proc", false,
                         "a fresh /proc showing only the sandbox's processes"});
  plan.mounts.push_back({MountKind::kDev, "", "/dev", false,
                         "a minimal /dev: null zero full random urandom tty, pts, shm"});

  // Landlock: the same grants as an allow-list. Landlock cannot take a right away below a path
  // where it was granted, so read-only carve-outs and denials inside a granted tree are enforced
  // by the mount layer only; they are listed as gaps.
  for (const auto& rule : policy.rules) {
    if (rule.access == Access::kDeny) continue;
    // A grant below a grant at least as wide adds nothing (Landlock rights are a union along the
    // path): leave it out, so thousands of read carve-outs inside a writable root cost nothing.
    const Decision parent = ParentDecision(policy, rule.path);
    if (parent.visible && parent.access != Access::kDeny &&
        TieRank(parent.access) >= TieRank(rule.access)) {
      continue;
    }
    plan.landlock.push_back({rule.path, rule.access == Access::kWrite, rule.origin});
  }
  for (const auto& rule : policy.rules) {
    const Decision parent = ParentDecision(policy, rule.path);
    if (!parent.visible || parent.access == Access::kDeny) continue;
    if (rule.access == parent.access) continue;
    // Landlock only adds rights below a grant: a write below a read is expressible, a read or a
    // deny below a wider grant is not.
    if (rule.access == Access::kWrite) continue;
    plan.landlock_gaps.push_back(rule.path + " = " + AccessName(rule.access) + " below " +
                                 parent.rule->path + " = " + AccessName(parent.access));
  }
  for (const auto& m : plan.mounts) {
    if (m.kind == MountKind::kBind && !m.writable && m.why.rfind("protected", 0) == 0) {
      plan.landlock_gaps.push_back(m.target + " read-only inside a writable root");
    }
  }
  plan.landlock_full_coverage = plan.landlock_gaps.empty();
  PlanLandlockTcp(policy, plan);

  // Environment: inherited, minus what must not cross, plus what the command should know.
  plan.env.reserve(inputs.env.size() + 4);
  for (const auto& e : inputs.env) {
    const std::string name = EnvName(e);
    bool scrub = false;
    for (const auto& [var, why] : ScrubbedEnvironment()) {
      if (name == var) {
        scrub = true;
        plan.env_edits.push_back({EnvEdit::Kind::kUnset, name, "", why});
      }
    }
    if (!scrub) plan.env.push_back(e);
  }
  auto set = [&](const std::string& name, const std::string& value, const std::string& why) {
    SetEnv(plan.env, name, value);
    plan.env_edits.push_back({EnvEdit::Kind::kSet, name, value, why});
  };
  set("CORDON_SANDBOX", "1", "tells the command (and its tests) that it runs inside cordon");
  set("CORDON_SANDBOX_NETWORK", NetworkModeName(policy.network.mode),
      "the network mode, so tools can skip what cannot work");
  AddProxyEnvironment(plan);

  if (auto worktree = FindWorktreeRoot(plan.cwd)) {
    struct stat st;
    if (::stat(worktree->c_str(), &st) == 0 &&
        OwnershipLooksForeignInside(st.st_uid, inputs.uid, plan.uid_map.inside,
                                    plan.uid_map.outside, plan.uid_map.count)) {
      for (const auto& [name, value] : SafeDirectoryEnv(plan.env, *worktree)) {
        set(name, value, "git would see " + *worktree + " as owned by someone else");
      }
    }
  }
  plan.notes.insert(plan.notes.end(), policy.notes.begin(), policy.notes.end());
  return plan;
}

}  // namespace cordon
