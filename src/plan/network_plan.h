// The network part of the plan (internal to plan/): validates the profile's network section and
// fills Plan::network, the Landlock TCP rules, the unix-socket masks and the proxy environment.
#pragma once

#include "base/result.h"
#include "plan/plan.h"
#include "policy/policy.h"

namespace cordon {

// Validates domains (over-broad patterns are errors), resolver overrides, host ports and unix
// socket entries, and picks the proxy ports. Runs before anything else is planned.
Status PlanNetwork(const Policy& policy, Plan& plan);
// Appends a read-only empty-file mask for every host unix socket the sandbox could see and the
// profile does not allow ("none" and "proxy" modes). Call after the filesystem mounts.
void AddUnixSocketMasks(const Policy& policy, const PlanInputs& inputs, Plan& plan);
// Landlock's TCP rules for the network mode.
void PlanLandlockTcp(const Policy& policy, Plan& plan);
// The proxy variables for the command's environment (proxy mode), as (name, value, why).
void AddProxyEnvironment(Plan& plan);

}  // namespace cordon
