// Blocking reads and writes of single messages, bounded by a deadline: for the handshake and for
// simple peers (tests, one-shot tools). A peer that stalls, even in the middle of a frame, makes
// these return ETIMEDOUT at the deadline; they never wait longer.
#pragma once

#include <chrono>
#include <cstdint>

#include "base/result.h"
#include "ipc/protocol.h"

namespace cordon::ipc {

using Clock = std::chrono::steady_clock;
using Deadline = Clock::time_point;
inline Deadline DeadlineAfter(std::chrono::milliseconds timeout) { return Clock::now() + timeout; }

// Reads exactly one frame from `fd` and decodes it. Never reads a byte past that frame, so a
// FrameReader can take over the fd afterwards. Errors: ETIMEDOUT (deadline), ECONNRESET (the
// peer closed before a frame began), EPROTO (closed inside a frame, or a bad frame),
// EMSGSIZE (oversized), EPROTONOSUPPORT (version outside [min_version, max_version]).
Result<Message> ReadMessage(int fd, Deadline deadline, uint16_t min_version = kMinVersion,
                            uint16_t max_version = kMaxVersion);

// Encodes `message` and writes all of it, looping partial writes, waiting for writability up to
// the deadline (ETIMEDOUT), EPIPE if the peer is gone (no SIGPIPE).
Status WriteMessage(int fd, const Message& message, Deadline deadline,
                    uint16_t version = kMaxVersion);

}  // namespace cordon::ipc
