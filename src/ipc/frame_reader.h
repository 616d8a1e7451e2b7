// FrameReader: turns a byte stream into messages, incrementally and without blocking. Feed it
// bytes (or let it read a non-blocking fd when poll/epoll says the fd is readable) and take
// complete messages out with Next(). The first bad frame puts the reader in a failed state for
// good: the connection is to be closed, since nothing after a bad frame can be trusted.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
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
  // Next() without copying output: for an Output frame, the returned Output has empty `bytes`
  // and `*output_bytes` views the bytes inside the reader's buffer, valid until the next
  // ReadFrom() or Feed() (append them to an OutputBuffer right away). For other frames
  // `*output_bytes` is set empty.
  Result<std::optional<Message>> NextView(std::string_view* output_bytes);

  // True when the buffer holds no partial frame (a clean place for the stream to end).
  bool AtFrameBoundary() const { return begin_ == end_; }
  bool eof() const { return eof_; }
  size_t buffered_bytes() const { return end_ - begin_; }

 private:
  // Makes room for `n` more bytes after end_, moving the unconsumed bytes to the front or
  // growing the buffer. Bytes are read straight into it: no intermediate copy, no zero-fill.
  void Reserve(size_t n);

  uint16_t min_version_;
  uint16_t max_version_;
  std::unique_ptr<char[]> buffer_;
  size_t capacity_ = 0;
  size_t begin_ = 0;                   // first unconsumed byte
  size_t end_ = 0;                     // one past the last byte received
  std::optional<FrameHeader> header_;  // header of the frame being assembled, once checked
  bool eof_ = false;
  std::optional<Error> error_;
};

}  // namespace cordon::ipc
