#include "cli/invocation.h"

#include "plan/unix_sockets.h"

#include <unistd.h>

#include <climits>
#include <cstdlib>

extern char** environ;

namespace cordon {

void AddPolicyFlags(CLI::App& app, Invocation& inv) {
  app.add_option("--config", inv.config_file, "config file (default: $CORDON_HOME/config.toml)");
  app.add_option("-c", inv.overrides, "override a config key: -c key=value (repeatable)")
      ->type_name("KEY=VALUE");
  app.add_option("-P,--profile", inv.profile,
                 "permission profile (:workspace, :read-only, :danger-full-access, or from config)");
  app.add_option("-C", inv.workspace, "workspace root (default: the current directory)")
      ->type_name("DIR");
  app.add_option("--writable-root", inv.writable_roots, "an extra writable root (repeatable)")
      ->type_name("DIR");
  app.add_option("--cd", inv.cd, "working directory inside the workspace (default: its root)")
      ->type_name("DIR");
  app.add_option("--network", inv.network, "network mode: none, proxy or full")->type_name("MODE");
  app.add_option("--allow-domain", inv.allow_domains, "allow a domain in proxy mode (repeatable)")
      ->type_name("DOMAIN");
}

Result<Config> LoadInvocationConfig(const Invocation& inv) {
  ConfigSource source;
  source.explicit_path = inv.config_file;
  source.cordon_home = DefaultCordonHome();
  source.overrides = inv.overrides;
  return LoadConfig(source);
}

Result<Resolved> Resolve(const Invocation& inv, bool need_command) {
  auto config = LoadInvocationConfig(inv);
  if (!config) return config.error();
  return ResolveWith(std::move(*config), inv, need_command);
}

Result<Resolved> ResolveWith(Config config, const Invocation& inv, bool need_command) {
  PolicyContext ctx;
  if (inv.workspace.empty()) {
    char cwd[PATH_MAX];
    if (::getcwd(cwd, sizeof cwd) == nullptr) return ErrnoError("get the current directory");
    ctx.workspace_root = cwd;
  } else if (inv.workspace[0] != '/') {
    char cwd[PATH_MAX];
    if (::getcwd(cwd, sizeof cwd) == nullptr) return ErrnoError("get the current directory");
    ctx.workspace_root = std::string(cwd) + "/" + inv.workspace;
  } else {
    ctx.workspace_root = inv.workspace;
  }
  for (const auto& r : inv.writable_roots) {
    if (r.empty() || (r[0] != '/' && r[0] != '~')) {
      return PlainError("invalid --writable-root '" + r + "'", "it must be an absolute path");
    }
    ctx.writable_roots.push_back(r);
  }
  ctx.profile = inv.profile;
  if (const char* h = std::getenv("HOME")) ctx.home = h;
  if (const char* t = std::getenv("TMPDIR")) ctx.tmpdir = t;
  if (!inv.network.empty()) {
    auto mode = ParseNetworkMode(inv.network);
    if (!mode) {
      return PlainError("invalid --network '" + inv.network + "'", "expected none, proxy or full");
    }
    ctx.network_mode = *mode;
  }
  ctx.allow_domains = inv.allow_domains;
  ctx.cordon_home = DefaultCordonHome();
  auto policy = ResolvePolicy(config, ctx);
  if (!policy) return policy.error();

  PlanInputs in;
  in.argv = inv.command;
  if (in.argv.empty() && !need_command) {
    const char* shell = std::getenv("SHELL");
    in.argv = {shell != nullptr && shell[0] == '/' ? shell : "/bin/sh"};
  }
  in.cd = inv.cd;
  for (char** e = environ; *e != nullptr; ++e) in.env.emplace_back(*e);
  in.uid = ::getuid();
  in.gid = ::getgid();
  if (policy->network.mode != NetworkMode::kFull) in.host_unix_sockets = ListeningUnixSockets();
  auto plan = BuildPlan(*policy, in);
  if (!plan) return plan.error();
  return Resolved{std::move(config), std::move(*policy), std::move(*plan)};
}

}  // namespace cordon
