// The host side of a runner: starts a sandbox whose init is the runner (runner_init.h), receives
// the control socket the runner made, checks with SO_PEERCRED that its peer is that init, and
// runs the bounded handshake. Afterwards the caller drives the connection with poll(): the
// socket, a FrameReader and a FrameWriter, all non-blocking.
//
// INVARIANT: Start() clones a runner that allocates, so it must be called while this process is
// single-threaded (linux/sandbox.h). A plan with network listeners (proxy mode, host ports) gets
// its proxy in a bridge process forked right after the clone (bridge_process.h), never in a
// thread of this process, so the process stays single-threaded for the next Start().
#pragma once

#include <memory>

#include "base/result.h"
#include "ipc/frame_reader.h"
#include "ipc/frame_writer.h"
#include "linux/sandbox.h"
#include "plan/plan.h"
#include "runner/bridge_process.h"

namespace cordon {

class RunnerConnection {
 public:
  // Starts the sandbox for `plan` (its argv is not used) and completes the handshake within
  // `handshake_timeout_ms`. On any failure the sandbox is killed and an Error returned.
  static Result<std::unique_ptr<RunnerConnection>> Start(const Plan& plan,
                                                         uint32_t handshake_timeout_ms = 5'000);
  ~RunnerConnection();

  int fd() const { return control_.get(); }
  pid_t init_pid() const { return sandbox_.init_pid(); }
  ipc::FrameReader& reader() { return reader_; }
  ipc::FrameWriter& writer() { return writer_; }
  const Plan& plan() const { return prepared_->plan; }
  // The bridge process serving the sandbox's proxy and host-port listeners; null when the plan
  // has none (network "none" without host ports, "full") or once Kill()ed.
  BridgeProcess* bridge() { return bridge_.get(); }
  // Sends Shutdown (best effort, without waiting) and kills the sandbox; reaps the init; stops
  // and reaps the bridge process.
  void Kill();

 private:
  RunnerConnection() = default;
  std::unique_ptr<PreparedSandbox> prepared_;
  Sandbox sandbox_;
  std::unique_ptr<BridgeProcess> bridge_;
  UniqueFd control_;
  ipc::FrameReader reader_;
  ipc::FrameWriter writer_;
};

}  // namespace cordon
