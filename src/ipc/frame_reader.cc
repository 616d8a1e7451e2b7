// FrameReader: see frame_reader.h.
#include "ipc/frame_reader.h"

#include <unistd.h>

#include <cerrno>

namespace cordon::ipc {

void FrameReader::Feed(std::string_view bytes) {
  Compact();
  buffer_.append(bytes);
}

Result<FrameReader::ReadState> FrameReader::ReadFrom(int fd, size_t max_bytes) {
  if (error_) return *error_;
  if (eof_) return ReadState::kEof;
  if (scratch_.size() < max_bytes) scratch_.resize(max_bytes);
  for (;;) {
    ssize_t n = ::read(fd, scratch_.data(), max_bytes);
    if (n > 0) {
      Feed(std::string_view(scratch_.data(), static_cast<size_t>(n)));
      return ReadState::kData;
    }
    if (n == 0) {
      eof_ = true;
      return ReadState::kEof;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return ReadState::kWouldBlock;
    // ECONNRESET and the like: the peer is gone, and that is not a protocol error.
    return ErrnoError("read ipc socket");
  }
}

Result<std::optional<Message>> FrameReader::Next() {
  if (error_) return *error_;
  const std::string_view pending = std::string_view(buffer_).substr(start_);
  if (!header_) {
    if (pending.size() < kHeaderSize) {
      if (eof_ && !pending.empty()) {
        error_ =
            Error{"read ipc frame",
                  {},
                  EPROTO,
                  "connection closed inside a frame header (" + std::to_string(pending.size()) +
                      " of " + std::to_string(kHeaderSize) + " bytes)"};
        return *error_;
      }
      return std::optional<Message>();
    }
    // The header is checked as soon as it is complete, so an oversized or foreign frame is
    // refused before its payload is waited for (or allocated).
    auto header = ParseHeader(pending, min_version_, max_version_);
    if (!header) {
      error_ = header.error();
      return *error_;
    }
    header_ = *header;
  }
  const size_t need = kHeaderSize + header_->length;
  if (pending.size() < need) {
    if (eof_) {
      error_ = Error{"read ipc frame",
                     {},
                     EPROTO,
                     "connection closed inside a frame (" + std::to_string(pending.size()) +
                         " of " + std::to_string(need) + " bytes)"};
      return *error_;
    }
    return std::optional<Message>();
  }
  auto message = DecodePayload(header_->type, pending.substr(kHeaderSize, header_->length));
  if (!message) {
    error_ = message.error();
    return *error_;
  }
  start_ += need;
  header_.reset();
  return std::optional<Message>(std::move(*message));
}

void FrameReader::Compact() {
  // Drop consumed bytes when they are at least half the buffer: amortized O(1) per byte.
  if (start_ == buffer_.size()) {
    buffer_.clear();
    start_ = 0;
  } else if (start_ > 0 && start_ >= buffer_.size() / 2) {
    buffer_.erase(0, start_);
    start_ = 0;
  }
}

}  // namespace cordon::ipc
