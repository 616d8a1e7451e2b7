// FrameReader: turns a byte stream into messages, incrementally and without blocking. Feed it
// bytes (or let it read a non-blocking fd when poll/epoll says the fd is readable) and take
// complete messages out with Next(). The first bad frame puts the reader in a failed state for
// good: the connection is to be closed, since nothing after a bad frame can be trusted.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/result.h"
#include "ipc/codec.h"
#include "ipc/protocol.h"

namespace cordon::ipc {

class FrameReader {
 public:
  // Accepts frames whose header version lies in [min_version, max_version]. Before the handshake
  // that is the whole supported range; afterwards call SetVersion() with the agreed one.
  explicit FrameReader(uint16_t min_version = kMinVersion, uint16_t max_version = kMaxVersion)
      : min_version_(min_version), max_version_(max_version) {}

  void SetVersion(uint16_t version) { min_version_ = max_version_ = version; }

  // Appends bytes received by other means.
  void Feed(std::string_view bytes);

  enum class ReadState {
    kData,        // some bytes were read; call Next() until it returns nullopt
    kWouldBlock,  // nothing to read now (EAGAIN)
    kEof,         // the peer closed; Next() may still return buffered messages, then
                  // fails with "truncated" if the stream ended inside a frame
  };
  // One read(2) of up to `max_bytes` from `fd` (EINTR retried). Intended for non-blocking fds;
  // on a blocking fd it blocks until at least one byte or EOF.
  Result<ReadState> ReadFrom(int fd, size_t max_bytes = 64u << 10);

  // The next complete message; nullopt if more bytes are needed. An error for a bad frame, or
  // for a frame cut short by EOF. After an error, every later call returns the same error.
  Result<std::optional<Message>> Next();

  // True when the buffer holds no partial frame (a clean place for the stream to end).
  bool AtFrameBoundary() const { return start_ == buffer_.size(); }
  bool eof() const { return eof_; }
  size_t buffered_bytes() const { return buffer_.size() - start_; }

 private:
  void Compact();

  uint16_t min_version_;
  uint16_t max_version_;
  std::string buffer_;
  std::string scratch_;                // read(2) target, reused
  size_t start_ = 0;                   // first unconsumed byte of buffer_
  std::optional<FrameHeader> header_;  // header of the frame being assembled, once checked
  bool eof_ = false;
  std::optional<Error> error_;
};

}  // namespace cordon::ipc
