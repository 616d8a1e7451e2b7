// The `[serve]` table of cordon's config: the session manager's limits (SessionLimits), each key
// named as its field, validated before `cordon serve` starts anything.
//
//   [serve]
//   max_sessions = 64            # live sessions
//   max_sandboxes = 16           # warm sandboxes at once
//   max_output_bytes = 1048576   # output kept per session
//   max_call_output_bytes = 1048576
//   exec_yield_ms = 10000
//   write_stdin_yield_ms = 250
//   min_yield_ms = 0
//   max_yield_ms = 300000
//   max_stdin_queue_bytes = 1048576
//   handshake_timeout_ms = 5000
//   drain_after_exit_ms = 0
//   default_rows = 24
//   default_cols = 80
//
// `-c serve.max_sessions=8` overrides one key, as for every other table.
#pragma once

#include <string_view>

#include <toml++/toml.h>

#include "base/result.h"
#include "session/session_limits.h"

namespace cordon {

// The defaults with the document's [serve] keys applied; an unknown key, a value that is not a
// non-negative integer in range, or limits that cannot work (SessionLimits::Validate) are errors
// naming the key and the file.
Result<SessionLimits> SessionLimitsFromDocument(const toml::table* document,
                                                std::string_view source);

}  // namespace cordon
