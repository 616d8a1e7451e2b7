// SessionObserver: what happens to one exec_command's session, told to an object the plan
// resolver attaches to the request (cordon serve's tracing, in the CLI). The session manager
// knows nothing of telemetry; it only calls these, from its one thread, in this order:
//   SandboxStarting, SandboxStarted   only when this command starts a new warm sandbox
//   CommandStarting                   the spawn request is about to be sent
//   Ended                             exactly once, however the session ends
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace cordon {

struct SessionEnd {
  enum class How {
    kExited,          // the command exited (exit_code) or was killed (signal)
    kSpawnFailed,     // the command could not be started (exit_code 126/127, error)
    kSetupFailed,     // its sandbox could not be started, or the spawn not sent (error)
    kSandboxLost,     // its sandbox ended under it (error)
    kTerminated,      // a client's terminate
    kEvicted,         // terminated to make room (the session limit)
    kServerShutdown,  // the server ended while it ran
  };
  How how = How::kExited;
  std::optional<int> exit_code;
  std::optional<int> signal;
  std::string error;
  // Requests the sandbox's network proxy refused while the session ran (proxy mode), when the
  // proxy could tell; 0 otherwise.
  uint64_t denials = 0;
};

class SessionObserver {
 public:
  virtual ~SessionObserver() = default;
  virtual void SandboxStarting() {}
  // `error` is empty when the sandbox is ready.
  virtual void SandboxStarted(const std::string& /*error*/) {}
  virtual void CommandStarting(uint64_t /*session_id*/) {}
  virtual void Ended(const SessionEnd& /*end*/) {}
};

}  // namespace cordon
