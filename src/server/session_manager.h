// The session manager behind `cordon serve`: exec_command / write_stdin / terminate / resize /
// list over runners (warm sandboxes). Commands that resolve to the same sandbox (same policy and
// workspace: the caller's `sandbox_key`) share one runner; each command is one session (a PTY or
// pipes) whose output is kept head+tail in an OutputBuffer. Limits: SessionLimits (64 live
// sessions, 1 MiB per session by default; docs/serve.md).
//
// Single-threaded by design: every call pumps the runners' sockets itself with poll(), and new
// runners are cloned from this thread (the runner allocates: linux/sandbox.h INVARIANT), so the
// process must have no other threads. The network proxy of a sandbox (proxy mode, host ports)
// runs in a bridge process of its own (runner/bridge_process.h); what it blocked is asked of it
// when a session starts and when it ends, and the difference is the session's `blocked_hosts`.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "ipc/protocol.h"
#include "plan/plan.h"
#include "runner/runner_host.h"
#include "server/session_observer.h"
#include "session/output_buffer.h"
#include "session/session_limits.h"

namespace cordon {

struct ExecRequest {
  std::vector<std::string> cmd;  // argv
  std::string workdir;           // host path; empty: the server's workspace
  bool tty = false;
  std::optional<uint32_t> yield_time_ms;
  std::optional<size_t> max_output_bytes;
  std::string profile;          // empty: the config's default
  uint16_t rows = 0, cols = 0;  // PTY size; 0: SessionLimits defaults
  // W3C trace context of the caller's step, as given (validated by whoever traces the session).
  std::optional<std::string> traceparent;
  std::optional<std::string> tracestate;
};

// What the resolver gives for a request: the plan, and the key of the sandbox it needs
// (requests with equal keys share a runner).
// `observer` (optional) is told how the session goes; the manager owns it until it has Ended.
// A resolver that fails has no session: it ends its own observer.
struct ResolvedCommand {
  Plan plan;
  std::string sandbox_key;
  std::unique_ptr<SessionObserver> observer;
};
using PlanResolver = std::function<Result<ResolvedCommand>(const ExecRequest&)>;

// The answer to exec_command and write_stdin.
struct CallResult {
  std::string output;                  // new output since the last call (UTF-8 safe head/tail cut)
  uint64_t omitted_bytes = 0;          // bytes dropped from `output` (buffer or call cap)
  std::optional<uint64_t> session_id;  // set while the process is still running
  std::optional<int> exit_code;        // set once it has exited (128+N for signal N)
  std::optional<int> signal;           // the signal that killed it, if any
  std::string error;                   // a spawn failure (the command did not start)
  double wall_time_ms = 0;
  // Once exited: the targets the sandbox's proxy refused between the session's start and the
  // moment its exit was read, with the count of refusals in that interval (docs/serve.md: the
  // sandbox's other sessions' refusals in that interval are included). Empty without a proxy;
  // unset when the bridge could not tell (it died or did not answer).
  std::optional<std::vector<BlockedHost>> blocked_hosts;
};

struct SessionInfo {
  uint64_t id = 0;
  std::vector<std::string> cmd;
  bool tty = false;
  bool running = true;
  int32_t pid = 0;  // inside the sandbox
  uint64_t output_bytes = 0;
  std::string sandbox_key;
  pid_t sandbox = 0;  // the host pid of its sandbox's init; 0 once that sandbox has ended
};

struct SandboxInfo {
  pid_t pid = 0;  // its init, on the host
  // Everything its proxy refused since the sandbox started; unset without a proxy, or when the
  // bridge could not tell.
  std::optional<std::vector<BlockedHost>> blocked_hosts;
};

class SessionManager {
 public:
  SessionManager(SessionLimits limits, PlanResolver resolver);
  ~SessionManager();

  Result<CallResult> ExecCommand(const ExecRequest& request);
  // Empty `chars`: a poll. EINVAL/ENOENT for an unknown session.
  Result<CallResult> WriteStdin(uint64_t session_id, std::string_view chars,
                                std::optional<uint32_t> yield_time_ms,
                                std::optional<size_t> max_output_bytes = std::nullopt);
  // Kills the session's processes (its process group and session) and forgets it.
  Status Terminate(uint64_t session_id) {
    return Terminate(session_id, SessionEnd::How::kTerminated);
  }
  Status Resize(uint64_t session_id, uint16_t rows, uint16_t cols);
  std::vector<SessionInfo> List() const;
  std::vector<SandboxInfo> Sandboxes();

  // Called for every output chunk as it arrives (streamed notifications).
  using OutputListener = std::function<void(uint64_t session_id, ipc::Stream, std::string_view)>;
  void SetOutputListener(OutputListener listener) { listener_ = std::move(listener); }

  // One round of I/O: waits up to `timeout_ms` (-1: forever) for the runners or for one of
  // `wake_fds`; returns true if a wake fd is readable.
  bool PumpOnce(int timeout_ms, const std::vector<int>& wake_fds = {});
  // Kills every sandbox (SIGKILL to each runner: its PID namespace goes with it); sessions still
  // running end as kServerShutdown.
  void Shutdown();

  size_t runner_count() const { return runners_.size(); }
  size_t session_count() const { return sessions_.size(); }
  std::vector<pid_t> RunnerPids() const;

 private:
  struct Runner {
    std::unique_ptr<RunnerConnection> conn;
    std::string key;
    std::chrono::steady_clock::time_point last_used;  // last command started in it
  };
  struct Session {
    uint64_t id = 0;
    Runner* runner = nullptr;
    std::vector<std::string> cmd;
    std::string key;
    bool tty = false;
    int32_t pid = 0;
    bool exited = false;
    int exit_code = 0;
    int signal = 0;
    std::string error;
    std::unique_ptr<OutputBuffer> output;
    uint64_t cursor = 0;
    std::chrono::steady_clock::time_point last_used;
    std::unique_ptr<SessionObserver> observer;  // until Ended
    // What the sandbox's proxy had refused when the session started (host:port -> count), unset
    // when the bridge could not tell; the session's own list once it has exited.
    std::optional<std::map<std::pair<std::string, uint16_t>, uint64_t>> blocked_before;
    bool blocked_pending = false;  // exited, `blocked` not computed yet
    std::optional<std::vector<BlockedHost>> blocked;
    // An exit the observer hears of once `blocked` is known (its denials count).
    std::optional<SessionEnd> end_pending;
  };

  Result<Runner*> RunnerFor(const ResolvedCommand& resolved, SessionObserver& observer);
  // Makes room for one more runner (limits_.max_sandboxes): retires the least recently used one
  // that runs no session; an error when every runner runs one.
  Status MakeRoomForRunner();
  Status Terminate(uint64_t session_id, SessionEnd::How how);
  // Marks `s` exited (when it ran) and tells its observer, once.
  static void EndSession(Session& s, SessionEnd end);
  void MakeRoom();
  void HandleRunnerInput(Runner* runner);
  void DropRunner(Runner* runner, const std::string& why);
  // Computes `blocked` for the runner's exited sessions that wait for it (one bridge query).
  void SettleBlocked(Runner* runner);
  // Pumps until `session` exits or the deadline passes.
  void WaitFor(uint64_t session_id, std::chrono::steady_clock::time_point deadline);
  CallResult Collect(Session& s, size_t max_output_bytes, double wall_ms);
  uint32_t ClampYield(std::optional<uint32_t> ms, uint32_t fallback) const;

  SessionLimits limits_;
  PlanResolver resolver_;
  OutputListener listener_;
  std::vector<std::unique_ptr<Runner>> runners_;
  std::map<uint64_t, Session> sessions_;
  uint64_t next_id_ = 1;
};

}  // namespace cordon
