// Host side of the runner's start-up: see runner_host.h and docs/protocol.md ("Handshake").
#include "runner/runner_host.h"

#include <fcntl.h>

#include "ipc/handshake.h"
#include "ipc/peer.h"
#include "runner/runner_init.h"

namespace cordon {

Result<std::unique_ptr<RunnerConnection>> RunnerConnection::Start(const Plan& plan,
                                                                  uint32_t handshake_timeout_ms) {
  std::unique_ptr<RunnerConnection> conn(new RunnerConnection());
  auto prepared = PrepareSandbox(plan);
  if (!prepared) return prepared.error();
  conn->prepared_ = std::move(*prepared);
  // Static storage: the init reads it after the clone, while this object may have moved.
  static RunnerInitArgs args;
  args.handshake_timeout_ms = handshake_timeout_ms;
  auto sandbox = Sandbox::Start(*conn->prepared_, RunnerInit, &args);
  if (!sandbox) return sandbox.error();
  conn->sandbox_ = std::move(*sandbox);
  if (auto listeners = conn->sandbox_.TakeNetworkListeners(); !listeners.empty()) {
    // A process, not a thread: this process must stay single-threaded (see the header).
    auto bridge = BridgeProcess::Start(conn->prepared_->plan.network, std::move(listeners));
    if (!bridge) return bridge.error();
    conn->bridge_ = std::move(*bridge);
  }
  auto ready = conn->sandbox_.WaitReady();
  if (!ready) return ready.error();
  if (ready->stage != ChildStage::kNone) {
    return DescribeChildFailure(conn->prepared_->plan, *ready, "the runner");
  }
  const auto deadline = ipc::DeadlineAfter(std::chrono::milliseconds(handshake_timeout_ms));
  auto fd = ipc::ReceiveFd(conn->sandbox_.control_fd(), deadline);
  if (!fd) return fd.error();
  conn->control_ = std::move(*fd);
  // SO_PEERCRED: the socket must have been made by the init we cloned.
  auto hs = ipc::HostHandshake(conn->control_.get(), conn->sandbox_.init_pid(), deadline);
  if (!hs) return hs.error();
  conn->reader_.SetVersion(hs->version);
  conn->writer_.SetVersion(hs->version);
  ::fcntl(conn->control_.get(), F_SETFL, ::fcntl(conn->control_.get(), F_GETFL) | O_NONBLOCK);
  return conn;
}

void RunnerConnection::Kill() {
  if (control_) {
    (void)writer_.Enqueue(ipc::Shutdown{});
    (void)writer_.Flush(control_.get());
    control_.reset();
  }
  sandbox_.Reap(/*kill=*/true);
  bridge_.reset();  // SIGKILLs and reaps it
}

RunnerConnection::~RunnerConnection() { Kill(); }

}  // namespace cordon
