// The network bridge of a runner (proxy and host-port listeners, network_bridge.h) in a process of
// its own, forked from cordon. A process that starts several runners (`cordon serve`) must stay
// single-threaded, because each runner's init is cloned from it and allocates (linux/sandbox.h
// INVARIANT); the proxy needs threads, so it runs in this child, where threads are harmless.
//
// The bridge process closes every descriptor it inherited except its listeners and its socket
// (so another runner's control socket never outlives cordon's end of it), points 0-2 at
// /dev/null, ignores terminal and termination signals (cordon decides when it ends), and dies
// with the process that forked it (PR_SET_PDEATHSIG). It exits when cordon closes its socket;
// Stop() also SIGKILLs and reaps it.
//
// Wire, over a SOCK_STREAM socketpair, one JSON object per line from the bridge:
//   bridge -> cordon, once:        {"ready":true}  or  {"error":"<why the proxy did not start>"}
//   cordon -> bridge:              the byte 'b': "send the blocked hosts"
//   bridge -> cordon, per 'b':     {"blocked_hosts":[{"host","port","protocols","reason","count"}]}
//   cordon closes its end:         the bridge exits
#pragma once

#include <sys/types.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "base/result.h"
#include "base/unique_fd.h"
#include "net/proxy_server.h"
#include "plan/plan.h"

namespace cordon {

class BridgeProcess {
 public:
  // Forks the bridge, which serves `listeners` (plan.network.ListenerPorts() order) with
  // StartNetworkBridge, and waits for it to say it is serving. cordon's copies of the listeners
  // are closed. PRECONDITION: the caller is single-threaded (a plain fork(); the child allocates
  // and starts threads).
  static Result<std::unique_ptr<BridgeProcess>> Start(
      const NetworkPlan& network, std::vector<UniqueFd> listeners,
      std::chrono::milliseconds timeout = std::chrono::milliseconds(5'000));
  ~BridgeProcess();  // Stop()s.
  BridgeProcess(const BridgeProcess&) = delete;
  BridgeProcess& operator=(const BridgeProcess&) = delete;

  pid_t pid() const { return pid_; }

  // Every distinct host:port the proxy refused so far (ProxyServer::BlockedHosts), asked of the
  // bridge and waited for up to `timeout`. After one failure (the bridge died, or did not answer
  // in time) every later call fails too: a late answer must never pass for the next one.
  Result<std::vector<BlockedHost>> BlockedHosts(
      std::chrono::milliseconds timeout = std::chrono::milliseconds(2'000));

  // Closes the socket, SIGKILLs the bridge and reaps it. Idempotent.
  void Stop();

 private:
  BridgeProcess() = default;
  Result<std::string> ReadLine(std::chrono::steady_clock::time_point deadline);

  pid_t pid_ = -1;
  UniqueFd socket_;
  std::string pending_;  // bytes after the last line read
  bool broken_ = false;
};

}  // namespace cordon
