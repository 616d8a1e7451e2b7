#include "runner/network_bridge.h"

#include "net/resolver.h"

namespace cordon {

Result<std::unique_ptr<ProxyServer>> StartNetworkBridge(const NetworkPlan& network,
                                                        std::vector<UniqueFd> listeners) {
  const std::vector<uint16_t> ports = network.ListenerPorts();
  if (listeners.size() != ports.size()) {
    return PlainError("start the network proxy",
                      "the sandbox sent " + std::to_string(listeners.size()) +
                          " listeners, expected " + std::to_string(ports.size()));
  }
  ProxyOptions options;
  auto rules = DomainRules::Parse(network.domains);
  if (!rules) return rules.error();
  options.rules = std::move(*rules);
  options.dangerously_allow_local_targets = network.allow_local_targets;
  ResolverOverrides overrides;
  for (const auto& entry : network.resolve) CORDON_TRY(AddResolverOverride(entry, &overrides));

  std::vector<ProxyListener> served;
  size_t i = 0;
  if (network.proxy) {
    served.push_back({ProxyListener::Kind::kHttp, std::move(listeners[i++]), 0});
    served.push_back({ProxyListener::Kind::kSocks5, std::move(listeners[i++]), 0});
  }
  for (uint16_t port : network.host_ports) {
    served.push_back({ProxyListener::Kind::kHostPort, std::move(listeners[i++]), port});
  }
  // Host ports alone need no resolver threads: a static resolver answers nothing.
  std::unique_ptr<Resolver> resolver =
      network.proxy ? MakeSystemResolver(std::move(overrides)) : MakeStaticResolver({});
  return ProxyServer::Start(std::move(options), std::move(served), std::move(resolver));
}

}  // namespace cordon
