// FrameReader: see frame_reader.h.
#include "ipc/frame_reader.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace cordon::ipc {

void FrameReader::Feed(std::string_view bytes) {
  Reserve(bytes.size());
  std::memcpy(buffer_.get() + end_, bytes.data(), bytes.size());
  end_ += bytes.size();
}

void FrameReader::Reserve(size_t n) {
  if (begin_ == end_) begin_ = end_ = 0;
  if (capacity_ - end_ >= n) return;
  const size_t used = end_ - begin_;
  if (capacity_ - used >= n && begin_ >= used) {
    // Enough room once the consumed bytes are dropped, and the move is cheap (the unconsumed
    // part is at most as large as what was consumed): amortized O(1) per byte.
    std::memmove(buffer_.get(), buffer_.get() + begin_, used);
  } else {
    const size_t capacity = std::max({capacity_ * 2, used + n, size_t{4096}});
    auto bigger = std::make_unique_for_overwrite<char[]>(capacity);
    if (used > 0) std::memcpy(bigger.get(), buffer_.get() + begin_, used);
    buffer_ = std::move(bigger);
    capacity_ = capacity;
  }
  begin_ = 0;
  end_ = used;
}

Result<FrameReader::ReadState> FrameReader::ReadFrom(int fd, size_t max_bytes) {
  if (error_) return *error_;
  if (eof_) return ReadState::kEof;
  Reserve(max_bytes);
  for (;;) {
    ssize_t n = ::read(fd, buffer_.get() + end_, max_bytes);
    if (n > 0) {
      end_ += static_cast<size_t>(n);
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
  std::string_view view;
  auto next = NextView(&view);
  if (next.ok() && next->has_value()) {
    if (auto* output = std::get_if<Output>(&**next)) output->bytes.assign(view);
  }
  return next;
}

Result<std::optional<Message>> FrameReader::NextView(std::string_view* output_bytes) {
  *output_bytes = {};
  if (error_) return *error_;
  const std::string_view pending(buffer_.get() + begin_, end_ - begin_);
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
  std::string_view payload = pending.substr(kHeaderSize, header_->length);
  constexpr size_t kOutputFixed = kOutputPrefixSize - kHeaderSize;  // id and stream
  if (header_->type == static_cast<uint16_t>(MessageType::kOutput) &&
      payload.size() >= kOutputFixed) {
    // Decode (and validate) the fixed fields only; the bytes stay where they are.
    *output_bytes = payload.substr(kOutputFixed);
    payload = payload.substr(0, kOutputFixed);
  }
  auto message = DecodePayload(header_->type, payload);
  if (!message) {
    *output_bytes = {};
    error_ = message.error();
    return *error_;
  }
  begin_ += need;
  header_.reset();
  return std::optional<Message>(std::move(*message));
}

}  // namespace cordon::ipc
