#include "net/proxy_env.h"

#include <algorithm>
#include <string_view>

namespace cordon {

EnvVars ProxyEnvironment(uint16_t http_port, uint16_t socks_port) {
  const std::string hp = std::to_string(http_port);
  const std::string http = "http://127.0.0.1:" + hp;
  const std::string socks = "socks5h://127.0.0.1:" + std::to_string(socks_port);
  // Inside the sandbox, loopback is the sandbox's own (dev servers, host_ports forwarders):
  // it must never go through the proxy.
  const std::string no_proxy = "localhost,127.0.0.1,::1";
  const std::string jvm = "-Dhttp.proxyHost=127.0.0.1 -Dhttp.proxyPort=" + hp +
                          " -Dhttps.proxyHost=127.0.0.1 -Dhttps.proxyPort=" + hp +
                          " -Dhttp.nonProxyHosts=localhost|127.*|[::1]";
  return {
      // The conventional variables (curl, wget, git, python requests/urllib/pip, Go, Ruby, ...).
      // curl reads only the lower-case http_proxy; most others read both cases.
      {"http_proxy", http},
      {"HTTP_PROXY", http},
      {"https_proxy", http},
      {"HTTPS_PROXY", http},
      {"all_proxy", socks},
      {"ALL_PROXY", socks},
      {"no_proxy", no_proxy},
      {"NO_PROXY", no_proxy},
      // npm and yarn 1 (which reads npm_config_* too).
      {"npm_config_proxy", http},
      {"npm_config_https_proxy", http},
      {"npm_config_noproxy", no_proxy},
      // yarn 2+ (berry).
      {"YARN_HTTP_PROXY", http},
      {"YARN_HTTPS_PROXY", http},
      // pip's own --proxy option.
      {"PIP_PROXY", http},
      // cargo's http.proxy setting (cargo also reads https_proxy/http_proxy).
      {"CARGO_HTTP_PROXY", http},
      // rsync daemon connections (rsync://) through an HTTP CONNECT proxy: host:port.
      {"RSYNC_PROXY", "127.0.0.1:" + hp},
      // Node.js >= 24: built-in fetch (later also http/https) honours *_PROXY only with this.
      {"NODE_USE_ENV_PROXY", "1"},
      // The JVM ignores the *_PROXY variables: gradle, maven and plain java get system properties.
      {"JAVA_TOOL_OPTIONS", jvm},
      {"GRADLE_OPTS", jvm},
      {"MAVEN_OPTS", jvm},
  };
}

void ApplyEnvironment(const EnvVars& vars, std::vector<std::string>* env) {
  for (const auto& [name, value] : vars) {
    const std::string prefix = name + "=";
    const bool append =
        name == "JAVA_TOOL_OPTIONS" || name == "GRADLE_OPTS" || name == "MAVEN_OPTS";
    auto it = std::find_if(env->begin(), env->end(),
                           [&](const std::string& e) { return e.starts_with(prefix); });
    if (it == env->end()) {
      env->push_back(prefix + value);
    } else if (append && it->size() > prefix.size()) {
      *it = prefix + value + " " + it->substr(prefix.size());
    } else {
      *it = prefix + value;
    }
  }
}

}  // namespace cordon
