// The runner: a sandbox's init (PID 1) that serves the host <-> runner protocol (docs/protocol.md)
// and starts any number of processes in its sandbox on request, with pipes or a PTY opened from
// the sandbox's private /dev/pts. It reaps every orphan, sends Exit only after a process's
// output is drained, and kills everything when the host goes away or asks it to.
//
// INVARIANT: RunnerInit allocates (it is an ordinary event loop), so the process that calls
// Sandbox::Start(prepared, RunnerInit, ...) must be single-threaded at that moment (see
// linux/sandbox.h). RunnerConnection::Start (runner_host.h) is the one caller.
#pragma once

#include <cstdint>

#include "linux/sandbox.h"

namespace cordon {

struct RunnerInitArgs {
  uint32_t handshake_timeout_ms = 5'000;
};

// InitMain for Sandbox::Start; `arg` is a RunnerInitArgs*. The runner makes the control
// socketpair itself and sends one end to the host over `control_fd` (SCM_RIGHTS), so that the
// host's SO_PEERCRED check names the runner. Returns 0 after Shutdown or when the host is gone.
int RunnerInit(void* arg, const PreparedSandbox& sandbox, int control_fd, int error_fd);

}  // namespace cordon
