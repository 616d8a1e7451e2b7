// Name resolution for the proxy. Lookups are asynchronous: the proxy's event loop asks and goes
// on serving other tunnels; the answer arrives through a callback. The default resolver runs
// getaddrinfo(3) on a small pool of worker threads, so one slow lookup never stalls the others.
//
// Overrides (name -> addresses) answer a name without DNS, like `curl --resolve`: tests use them
// to point test names at loopback servers, and the config can use them to pin a host.
// The proxy checks every address it gets against the address policy, so an override cannot
// be used to reach a local target unless local targets are allowed.
#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "base/result.h"
#include "net/ip_address.h"

namespace cordon {

using ResolveCallback = std::function<void(Result<std::vector<IpAddress>>)>;
// Keys are normalized host names (lower case, no trailing dot; see NormalizeHost).
using ResolverOverrides = std::map<std::string, std::vector<IpAddress>>;

class Resolver {
 public:
  virtual ~Resolver() = default;
  // Resolves a normalized host name (never an IP literal). Calls `done` exactly once, on any
  // thread (possibly before Resolve returns). An empty list is never returned: "no address" is
  // an error. The error's detail is the text shown to the user ("Name or service not known").
  virtual void Resolve(const std::string& host, ResolveCallback done) = 0;
};

// getaddrinfo on `threads` workers, after `overrides`. Workers are detached when the resolver is
// destroyed while a lookup is still running (getaddrinfo cannot be interrupted), so destruction
// never waits on DNS; their late answers are dropped by whoever gave the callback.
std::unique_ptr<Resolver> MakeSystemResolver(ResolverOverrides overrides = {}, size_t threads = 4);

// What getaddrinfo(3) reads on this host, for a process that may read nothing else (the bridge,
// linux/helper_lockdown.h): the name-service and resolver configuration, the hosts file, the
// target of /etc/resolv.conf when it is a link (systemd-resolved, resolvconf), and the library
// directories the name-service modules are loaded from.
std::vector<std::string> SystemResolverFiles();

// Only `overrides`; every other name fails with "not in the resolver overrides". For tests,
// which must never send a DNS query anywhere.
std::unique_ptr<Resolver> MakeStaticResolver(ResolverOverrides overrides);

// Parses a curl --resolve style entry "host:addr[,addr...]" (IPv6 addresses in brackets),
// e.g. "registry.internal:10.1.2.3" or "api.test:[::1],127.0.0.1".
Status AddResolverOverride(std::string_view entry, ResolverOverrides* overrides);

}  // namespace cordon
