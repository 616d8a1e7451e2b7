// The environment a sandboxed command gets in proxy mode, so that common tools send their
// traffic through cordon's proxies on the sandbox's loopback. See docs/network.md for which tool
// reads which variable.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace cordon {

using EnvVars = std::vector<std::pair<std::string, std::string>>;

// HTTP_PROXY, HTTPS_PROXY, ALL_PROXY, NO_PROXY (and lower-case forms), and the tool-specific
// variables of npm/yarn, pip, cargo, rsync, node, and JVM tools (gradle, maven, java).
EnvVars ProxyEnvironment(uint16_t http_port, uint16_t socks_port);

// Applies `vars` to `env` ("NAME=value" entries): a variable already present is replaced, except
// the JVM option variables (JAVA_TOOL_OPTIONS, GRADLE_OPTS, MAVEN_OPTS), whose existing value is
// kept after the proxy options so the user's own settings still apply.
void ApplyEnvironment(const EnvVars& vars, std::vector<std::string>* env);

}  // namespace cordon
