// `cordon exec`: one command in a fresh sandbox. The sandbox's init starts the command, reaps
// every orphan, forwards the signals cordon receives, and reports how the command ended; when
// the command ends, the init exits and the kernel kills whatever is left in the PID namespace.
#pragma once

#include <string>

#include "base/result.h"
#include "net/proxy_server.h"
#include "plan/plan.h"

namespace cordon {

// How a run ended: the domain value that the CLI maps to its exit status and tests assert on.
struct ExecOutcome {
  enum class Kind {
    kExited,        // the command exited with `code`
    kSignaled,      // the command was killed by `signal`
    kExecFailed,    // the command could not be started (not found, not executable, bad cwd)
    kSetupFailed,   // the sandbox could not be set up: nothing ran
  };
  Kind kind = Kind::kSetupFailed;
  int code = 0;
  int signal = 0;
  Error error;      // for kExecFailed and kSetupFailed
  // Targets the network proxy refused during the run (proxy mode), for the end-of-run report.
  std::vector<BlockedHost> blocked_hosts;

  // The exit status cordon itself returns: the command's code, 128+N for signal N, 126/127 when
  // the command could not be executed, 125 when cordon could not set up the sandbox.
  int ExitStatus() const;
};

// Told when each phase of a run begins and ends (tracing uses it; the runner knows nothing of it).
class RunObserver {
 public:
  virtual ~RunObserver() = default;
  virtual void SandboxSetupStarted() {}
  // The command has been exec'd (or failed to be): the sandbox is set up.
  virtual void CommandStarted() {}
  virtual void CommandEnded() {}
};

// Runs plan.argv in a new sandbox with cordon's stdin/stdout/stderr and waits for it.
// Signals cordon receives (INT, TERM, HUP, QUIT, USR1, USR2, WINCH) reach the command's
// process group. Neither the init nor the command allocates memory before exec, so other
// threads of cordon (the trace exporter) cannot leave a lock held in them.
ExecOutcome RunOneShot(const Plan& plan, RunObserver* observer = nullptr);

}  // namespace cordon
