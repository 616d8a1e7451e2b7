// `cordon serve --stdio`: JSON-RPC 2.0 over a pair of file descriptors, one JSON message per line,
// exposing the SessionManager (exec_command, write_stdin, terminate, resize, list). docs/serve.md
// is the reference. Bad input never ends the server: malformed JSON, unknown methods and bad
// parameters get JSON-RPC errors. On end of input, SIGTERM, SIGINT or SIGHUP every sandbox is
// torn down before ServeJsonRpc returns.
#pragma once

#include <string>

#include "server/session_manager.h"

namespace cordon {

struct ServeOptions {
  // Lines longer than this are answered with a parse error and skipped.
  size_t max_request_bytes = 16u << 20;
};

// JSON-RPC error codes (docs/serve.md).
inline constexpr int kRpcParseError = -32700;
inline constexpr int kRpcInvalidRequest = -32600;
inline constexpr int kRpcMethodNotFound = -32601;
inline constexpr int kRpcInvalidParams = -32602;
inline constexpr int kRpcServerError = -32000;  // the command or its sandbox could not start
inline constexpr int kRpcUnknownSession = -32001;
inline constexpr int kRpcBusy = -32002;  // stdin queue full: poll, then retry

// Serves until end of input or a terminating signal (which must be blocked by the caller before
// any thread exists; ServeJsonRpc reads them from a signalfd). Returns the exit status.
int ServeJsonRpc(SessionManager& manager, int in_fd, int out_fd, const ServeOptions& options = {});

// One request line in, the response line out (empty for a notification): the server's logic
// without I/O, for tests.
std::string HandleJsonRpcLine(SessionManager& manager, const std::string& line,
                              int out_fd_for_notifications = -1);

}  // namespace cordon
