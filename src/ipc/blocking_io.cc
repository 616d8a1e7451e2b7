// Deadline-bounded single-message I/O: see blocking_io.h.
#include "ipc/blocking_io.h"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <string>

#include "ipc/codec.h"

namespace cordon::ipc {
namespace {

// Waits until `fd` has `events` or the deadline passes.
Status WaitFor(int fd, short events, Deadline deadline, const char* op) {
  for (;;) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) return Error{op, {}, ETIMEDOUT, "deadline passed"};
    pollfd p{fd, events, 0};
    // Round up so that a sub-millisecond remainder still waits instead of spinning.
    int n = ::poll(&p, 1, static_cast<int>(std::min<long long>(left + 1, 1 << 30)));
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoError(op);
    }
    if (n > 0) return OkStatus();  // readable/writable, or HUP/ERR: the next call reports it
  }
}

// Reads exactly `len` bytes. `*got` tells how many arrived before an error.
Status ReadExactly(int fd, char* buf, size_t len, Deadline deadline, size_t* got) {
  *got = 0;
  while (*got < len) {
    CORDON_TRY(WaitFor(fd, POLLIN, deadline, "read ipc frame"));
    ssize_t n = ::read(fd, buf + *got, len - *got);
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK) continue;
      return ErrnoError("read ipc frame");
    }
    if (n == 0) return Error{"read ipc frame", {}, ECONNRESET, "peer closed the connection"};
    *got += static_cast<size_t>(n);
  }
  return OkStatus();
}

}  // namespace

Result<Message> ReadMessage(int fd, Deadline deadline, uint16_t min_version, uint16_t max_version) {
  char header_bytes[kHeaderSize];
  size_t got = 0;
  Status st = ReadExactly(fd, header_bytes, kHeaderSize, deadline, &got);
  if (!st) {
    if (st.error().err == ECONNRESET && got > 0) {
      return Error{"read ipc frame", {}, EPROTO, "connection closed inside a frame header"};
    }
    return st.error();
  }
  auto header = ParseHeader(std::string_view(header_bytes, kHeaderSize), min_version, max_version);
  if (!header) return header.error();
  std::string payload(header->length, '\0');  // at most kMaxPayloadSize, checked above
  st = ReadExactly(fd, payload.data(), payload.size(), deadline, &got);
  if (!st) {
    if (st.error().err == ECONNRESET) {
      return Error{"read ipc frame",
                   {},
                   EPROTO,
                   "connection closed inside a frame (" + std::to_string(got) + " of " +
                       std::to_string(header->length) + " payload bytes)"};
    }
    return st.error();
  }
  return DecodePayload(header->type, payload);
}

Status WriteMessage(int fd, const Message& message, Deadline deadline, uint16_t version) {
  auto frame = EncodeFrame(message, version);
  if (!frame) return frame.error();
  std::string_view rest = *frame;
  bool use_send = true;
  while (!rest.empty()) {
    ssize_t n = use_send ? ::send(fd, rest.data(), rest.size(), MSG_NOSIGNAL | MSG_DONTWAIT)
                         : ::write(fd, rest.data(), rest.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == ENOTSOCK && use_send) {
        use_send = false;
        continue;
      }
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        CORDON_TRY(WaitFor(fd, POLLOUT, deadline, "write ipc frame"));
        continue;
      }
      return ErrnoError("write ipc frame");
    }
    rest.remove_prefix(static_cast<size_t>(n));
  }
  return OkStatus();
}

}  // namespace cordon::ipc
