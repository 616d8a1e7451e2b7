// The flags `exec` and `explain` share, and the one path from them to a resolved policy and plan:
// config file + `-c` overrides -> Config -> Policy -> Plan.
#pragma once

#include <CLI/CLI.hpp>

#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "plan/plan.h"
#include "policy/config.h"
#include "policy/policy.h"

namespace cordon {

struct Invocation {
  std::string config_file;               // --config FILE
  std::vector<std::string> overrides;    // -c key=value
  std::string profile;                   // --profile/-P NAME
  std::string workspace;                 // -C DIR
  std::vector<std::string> writable_roots;  // --writable-root DIR
  std::string cd;                        // --cd DIR
  std::string network;                   // --network MODE
  std::vector<std::string> allow_domains;   // --allow-domain D
  std::vector<std::string> command;      // the command and its arguments
};

// Registers the shared flags on a subcommand.
void AddPolicyFlags(CLI::App& app, Invocation& inv);

struct Resolved {
  Config config;
  Policy policy;
  Plan plan;
};

// Loads the config file named by `inv` (or the default one) with its `-c` overrides.
Result<Config> LoadInvocationConfig(const Invocation& inv);
// Resolves the policy and builds the plan for `inv` in this process's environment.
// `need_command`: explain may be asked without a command (it then shows the plan for a shell).
Result<Resolved> ResolveWith(Config config, const Invocation& inv, bool need_command);
// Both steps.
Result<Resolved> Resolve(const Invocation& inv, bool need_command);

}  // namespace cordon
