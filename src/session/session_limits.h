// SessionLimits: every bound the session manager enforces, as one plain value with documented
// defaults, so that config, `cordon serve` flags and tests can set them and docs can list them.
#pragma once

#include <cstddef>
#include <cstdint>

#include "base/result.h"

namespace cordon {

struct SessionLimits {
  // Live sessions at once. When a new one would exceed it, exited sessions are pruned first,
  // then the least recently used live one is terminated.
  size_t max_sessions = 64;
  // Warm sandboxes (runners) at once. Starting one more retires the least recently used sandbox
  // that runs no session (and with it whatever the commands left running in the background
  // there); when every sandbox runs a session, the new command is refused.
  size_t max_sandboxes = 16;
  // Output kept per session (OutputBuffer capacity): head and tail halves, middle dropped.
  size_t max_output_bytes = 1u << 20;
  // Default cap on the output returned by one exec_command / write_stdin call, when the caller
  // gives none (TruncateMiddleUtf8 applies it).
  size_t default_max_call_output_bytes = 1u << 20;
  // How long exec_command waits for the process before returning a session id (milliseconds);
  // callers' values are clamped to [min_yield_ms, max_yield_ms].
  uint32_t exec_yield_ms = 10'000;
  // Same for write_stdin (and polls: write_stdin with empty chars).
  uint32_t write_stdin_yield_ms = 250;
  uint32_t min_yield_ms = 0;
  uint32_t max_yield_ms = 300'000;
  // Bytes of stdin queued for one process before write_stdin reports back-pressure.
  size_t max_stdin_queue_bytes = 1u << 20;
  // The runner's handshake must complete within this (milliseconds).
  uint32_t handshake_timeout_ms = 5'000;
  // After the process exits, how long output is still drained before the PTY/pipes are treated
  // as closed (a background child holding them open). 0 = wait for the close.
  uint32_t drain_after_exit_ms = 0;
  // Default PTY size for sessions that do not give one.
  uint16_t default_rows = 24;
  uint16_t default_cols = 80;

  // EINVAL with the field's name for values that cannot work (0 sessions, min > max, ...).
  Status Validate() const;
};

}  // namespace cordon
