// The bounded handshake that opens every connection: the runner sends Hello with the versions it
// speaks, the host answers HelloAck with the highest common one. Both sides give up at their
// deadline (ETIMEDOUT): a runner that never speaks, or speaks half a frame, cannot hang cordon.
// On any error the caller closes the socket and (host side) kills the runner it started.
#pragma once

#include <sys/types.h>

#include <string>

#include "base/result.h"
#include "ipc/blocking_io.h"
#include "ipc/protocol.h"

namespace cordon::ipc {

struct HostHandshakeResult {
  uint16_t version = 0;  // for FrameReader::SetVersion / FrameWriter::SetVersion
  Hello hello;
};

// Host side. If `expected_runner_pid` > 0, first checks with SO_PEERCRED that the peer socket was
// created by that process (see peer.h for why the runner must create the socketpair). Then reads
// Hello, chooses the version and sends HelloAck. EPROTONOSUPPORT if no version is common, EPROTO
// if the first frame is not a Hello.
Result<HostHandshakeResult> HostHandshake(int fd, pid_t expected_runner_pid, Deadline deadline);

// Runner side: sends Hello (pid = getpid(), `agent` for logs) and waits for HelloAck. Returns the
// agreed version.
Result<uint16_t> RunnerHandshake(int fd, std::string agent, Deadline deadline);

}  // namespace cordon::ipc
