#include "plan/network_plan.h"

#include <sys/stat.h>

#include <algorithm>
#include <set>

#include "base/paths.h"
#include "net/domain_rules.h"
#include "net/proxy_env.h"
#include "net/resolver.h"

namespace cordon {
namespace {

// The proxies' ports on the sandbox's loopback: the customary ones, unless a host port takes
// them (the sandbox has a network namespace of its own, so nothing else can).
constexpr uint16_t kHttpPortCandidates[] = {3128, 8118, 18080, 13128};
constexpr uint16_t kSocksPortCandidates[] = {1080, 1081, 11080, 19050};

uint16_t PickPort(const uint16_t (&candidates)[4], const std::set<uint16_t>& taken) {
  for (uint16_t p : candidates) {
    if (!taken.contains(p)) return p;
  }
  return 0;  // unreachable: at most kMaxHostPorts ports are taken, never all four
}

}  // namespace

std::vector<uint16_t> NetworkPlan::ListenerPorts() const {
  std::vector<uint16_t> ports;
  if (proxy) {
    ports.push_back(http_port);
    ports.push_back(socks_port);
  }
  ports.insert(ports.end(), host_ports.begin(), host_ports.end());
  return ports;
}

Status PlanNetwork(const Policy& policy, Plan& plan) {
  const NetworkPolicy& net = policy.network;
  NetworkPlan& out = plan.network;
  // Domain rules and resolver overrides are validated whatever the mode, so a config error shows
  // up in `cordon explain` and in every run, not only once someone switches to proxy mode.
  auto rules = DomainRules::Parse(net.domains);
  if (!rules) {
    return PlainError(
        "invalid network.domains in profile " + policy.profile,
        rules.error().detail.empty() ? rules.error().ToString() : rules.error().detail);
  }
  ResolverOverrides overrides;
  for (const auto& [host, addresses] : net.resolve) {
    const std::string entry = host + ":" + addresses;
    Status st = AddResolverOverride(entry, &overrides);
    if (!st) {
      return PlainError("invalid network.resolve entry \"" + host + "\" = \"" + addresses + "\"",
                        st.error().detail);
    }
    out.resolve.push_back(entry);
  }
  for (const auto& [path, action] : net.unix_sockets) {
    if (path.empty() || (path[0] != '/' && path[0] != '@')) {
      return PlainError("invalid network.unix_sockets entry \"" + path + "\"",
                        "give the socket's absolute path");
    }
    if (path[0] == '@' && action == "allow") {
      return PlainError("cannot allow abstract unix socket \"" + path + "\"",
                        "abstract sockets belong to the host's network namespace, which the "
                        "sandbox does not share in \"none\" and \"proxy\" modes; use mode = "
                        "\"full\" or a pathname socket");
    }
  }
  std::set<uint16_t> taken;
  for (int p : net.host_ports) {
    if (taken.insert(static_cast<uint16_t>(p)).second)
      out.host_ports.push_back(static_cast<uint16_t>(p));
  }
  if (out.host_ports.size() > kMaxHostPorts) {
    return PlainError("too many network.host_ports",
                      "at most " + std::to_string(kMaxHostPorts) + " ports can be forwarded");
  }
  out.domains = net.domains;
  out.allow_local_targets = net.allow_local_targets;
  if (net.mode == NetworkMode::kFull) {
    if (!out.host_ports.empty()) {
      plan.notes.push_back(
          "network.host_ports is not needed in \"full\" mode: the sandbox shares "
          "the host's network");
    }
    out.host_ports.clear();
    return OkStatus();
  }
  if (net.mode == NetworkMode::kProxy) {
    out.proxy = true;
    out.http_port = PickPort(kHttpPortCandidates, taken);
    taken.insert(out.http_port);
    out.socks_port = PickPort(kSocksPortCandidates, taken);
    if (net.domains.empty()) {
      plan.notes.push_back(
          "network mode \"proxy\" with no domain rules: every request is refused "
          "(add network.domains or --allow-domain)");
    }
  }
  return OkStatus();
}

void AddUnixSocketMasks(const Policy& policy, const PlanInputs& inputs, Plan& plan) {
  if (policy.network.mode == NetworkMode::kFull) return;
  std::set<std::string> allowed;
  for (const auto& [path, action] : policy.network.unix_sockets) {
    if (action != "allow") continue;
    allowed.insert(path);
    if (auto resolved = ResolvePath(path)) allowed.insert(*resolved);
  }
  std::set<std::string> done;
  for (const auto& raw : inputs.host_unix_sockets) {
    // Sockets are often bound through a symlinked directory (/var/run -> /run): the mount layer
    // needs the real path.
    auto resolved = ResolvePath(raw);
    if (!resolved) continue;
    const std::string& path = *resolved;
    if (allowed.contains(raw) || allowed.contains(path) || !done.insert(path).second) continue;
    if (PathIsUnder(path, "/proc") || PathIsUnder(path, "/dev")) continue;  // fresh inside
    struct stat st;
    if (::lstat(path.c_str(), &st) != 0 || !S_ISSOCK(st.st_mode)) continue;
    if (!policy.Decide(path).visible) continue;  // not in the sandbox at all
    MountOp op{MountKind::kMaskFile, "", path, false,
               "unix socket on the host (network mode " +
                   std::string(NetworkModeName(policy.network.mode)) +
                   "; allow it with network.unix_sockets)"};
    op.skip_if_missing = true;
    plan.mounts.push_back(std::move(op));
    plan.network.hidden_unix_sockets.push_back(path);
  }
}

void PlanLandlockTcp(const Policy& policy, Plan& plan) {
  plan.landlock_tcp_denied =
      policy.network.mode != NetworkMode::kFull && !policy.network.allow_local_binding;
  plan.landlock_tcp_connect_ports.clear();
  if (plan.landlock_tcp_denied) plan.landlock_tcp_connect_ports = plan.network.ListenerPorts();
}

void AddProxyEnvironment(Plan& plan) {
  if (!plan.network.proxy) return;
  const EnvVars vars = ProxyEnvironment(plan.network.http_port, plan.network.socks_port);
  ApplyEnvironment(vars, &plan.env);
  for (const auto& [name, value] : vars) {
    std::string final_value = value;
    for (const auto& e : plan.env) {
      if (e.size() > name.size() && e.compare(0, name.size(), name) == 0 && e[name.size()] == '=') {
        final_value = e.substr(name.size() + 1);
      }
    }
    plan.env_edits.push_back({EnvEdit::Kind::kSet, name, final_value,
                              "send the command's traffic through cordon's proxies (proxy mode)"});
  }
}

}  // namespace cordon
