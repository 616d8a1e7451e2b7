// `cordon exec --tty`: one command on a PTY inside a fresh sandbox (a runner), bridged to the
// user's terminal in raw mode: every key (Ctrl-C included) goes to the PTY, so the foreground
// job inside gets the signal, not cordon; the PTY's size follows SIGWINCH; the terminal is
// restored on every exit path (normal end, SIGTERM/SIGHUP/SIGQUIT, fatal signals).
//
// Must be called while the process is single-threaded (the runner allocates: linux/sandbox.h).
#pragma once

#include "plan/plan.h"
#include "runner/one_shot.h"

namespace cordon {

// Runs plan.argv with the terminal on `in_fd`/`out_fd`; returns how the run ended (ExitStatus():
// the command's code, 128+N for signal N, 126/127 when it could not start, 125 for set-up
// failure; when cordon itself is asked to end by SIGTERM/SIGHUP/SIGQUIT, kSignaled with that
// signal). The terminal is restored before it returns. `observer` hears the phases: the runner
// has been cloned when CommandStarted is called, and nothing is cloned after it (so the observer
// may start threads there; they inherit the bridged signals blocked).
ExecOutcome RunInteractive(const Plan& plan, RunObserver* observer = nullptr, int in_fd = 0,
                           int out_fd = 1, uint32_t handshake_timeout_ms = 5'000);

}  // namespace cordon
