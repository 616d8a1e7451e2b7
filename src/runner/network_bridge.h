// The host side of the sandbox's network in "proxy" mode and for host ports: serves the
// listeners the init created on the sandbox's loopback with cordon's ProxyServer (net/), on
// threads of the process that calls it: the locked-down bridge process (bridge_process.h).
#pragma once

#include <memory>
#include <vector>

#include "base/result.h"
#include "base/unique_fd.h"
#include "net/proxy_server.h"
#include "plan/plan.h"

namespace cordon {

// `listeners` are in plan.network.ListenerPorts() order (Sandbox::TakeNetworkListeners).
// Domain rules and resolver overrides were validated when the plan was built.
Result<std::unique_ptr<ProxyServer>> StartNetworkBridge(const NetworkPlan& network,
                                                        std::vector<UniqueFd> listeners);

}  // namespace cordon
