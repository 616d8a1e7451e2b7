// ProxyServer: cordon's host-side network proxy. One event-loop thread (epoll, non-blocking
// sockets) serves, on listening sockets it is handed:
//   - an HTTP proxy: absolute-URI requests ("GET http://host/path HTTP/1.1", one request per
//     upstream connection) and CONNECT tunnels;
//   - a SOCKS5 proxy: no authentication, CONNECT with domain names, IPv4 and IPv6 addresses;
//   - host-port forwarders: every connection is relayed, without rules, to the host's
//     127.0.0.1:<port> (or [::1]:<port> when that fails).
// Every target goes through the domain rules, then the address policy (local targets refused
// unless allowed), and the proxy connects to exactly the address it checked.
//
// The listening sockets are created by the caller (for cordon: by the sandbox's init process,
// on 127.0.0.1 inside the sandbox's network namespace, and passed over SCM_RIGHTS). The proxy
// only accepts on them; upstream connections are made from the namespace the proxy runs in.
// Buffers are bounded per tunnel and direction (reads stop while a buffer is full), so a client
// that stops reading holds at most 2 x splice_size bytes and never slows the other tunnels.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "base/result.h"
#include "base/unique_fd.h"
#include "net/domain_rules.h"
#include "net/resolver.h"

namespace cordon {

struct ProxyListener {
  enum class Kind { kHttp, kSocks5, kHostPort };
  Kind kind = Kind::kHttp;
  UniqueFd fd;             // a listening SOCK_STREAM socket; the proxy makes it non-blocking
  uint16_t host_port = 0;  // kHostPort: the port on the host's loopback to forward to
};

struct ProxyOptions {
  DomainRules rules;
  // Lets allowed names and literals reach loopback, private, link-local and metadata addresses.
  bool dangerously_allow_local_targets = false;
  size_t buffer_size = 64 * 1024;  // per tunnel and direction, while copying (the first 256 KiB)
  // Per tunnel and direction once a flow has switched to splice(2): the pipe's size and the most
  // one splice moves. Larger than buffer_size because each splice then moves more per call and
  // per wake-up (about 15% less CPU per GiB than 64 KiB in net_proxy_bench); the pipe holds page
  // references, not copies.
  size_t splice_size = 256 * 1024;
  size_t max_connections = 4096;                       // more are accepted and closed at once
  std::chrono::milliseconds handshake_timeout{30000};  // accept -> tunnel established
  std::chrono::milliseconds connect_timeout{10000};    // per upstream address tried
  // splice(2) through a pipe per direction instead of copying through user space.
  bool use_splice = true;
};

// One distinct blocked target, e.g. {"evil.example", 443, "evil.example:443 is not in the
// allowed domains", 3, {"connect", "socks5"}}.
struct BlockedHost {
  std::string host;
  uint16_t port = 0;
  std::string reason;  // the reason given the first time
  uint64_t count = 0;
  // How the target was asked for, each once, in the order first seen: "http" (an absolute-URI
  // request), "connect" (HTTP CONNECT) or "socks5".
  std::vector<std::string> protocols;
};

// The end-of-run report for stderr, "" when nothing was blocked:
//   cordon: blocked by network policy:
//     evil.example:443 is denied by the rule "evil.example" (3 requests)
std::string FormatBlockedHosts(const std::vector<BlockedHost>& blocked);

struct ProxyStats {
  uint64_t accepted = 0;           // client connections accepted
  uint64_t active = 0;             // client connections open now
  uint64_t upstream_attempts = 0;  // connect(2) calls made to upstream addresses
  uint64_t tunnels = 0;            // connections that reached the relaying phase
};

class ProxyServer {
 public:
  // Starts the event loop thread. Takes the listeners and the resolver. Fails only on setup
  // errors (epoll, eventfd, thread), or on a listener that is not a listening stream socket.
  static Result<std::unique_ptr<ProxyServer>> Start(ProxyOptions options,
                                                    std::vector<ProxyListener> listeners,
                                                    std::unique_ptr<Resolver> resolver);
  ~ProxyServer();  // Stop()s.
  ProxyServer(const ProxyServer&) = delete;
  ProxyServer& operator=(const ProxyServer&) = delete;

  // Closes every listener and connection and joins the loop thread (within ~one loop tick: the
  // loop never blocks except in epoll_wait, which Stop wakes). Idempotent; thread-safe.
  void Stop();

  // Every distinct host:port the policy refused so far, sorted by host then port.
  std::vector<BlockedHost> BlockedHosts() const;
  ProxyStats Stats() const;

  class Impl;

 private:
  explicit ProxyServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace cordon
