// The one JSON form of what the proxy refused, an array of {host, port, protocols, reason,
// count}: in the run report (`--json-report`), in serve's results and `list`, and on the bridge
// process's socket (runner/bridge_process.h).
#pragma once

#include <vector>

#include <nlohmann/json.hpp>

#include "base/result.h"
#include "net/proxy_server.h"

namespace cordon {

// Fields in the documented order (docs/network.md, Run report).
nlohmann::ordered_json BlockedHostsToJson(const std::vector<BlockedHost>& hosts);

// The inverse; an error naming what is wrong when `list` is not such an array.
Result<std::vector<BlockedHost>> BlockedHostsFromJson(const nlohmann::json& list);

}  // namespace cordon
