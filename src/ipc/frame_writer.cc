// FrameWriter: see frame_writer.h.
#include "ipc/frame_writer.h"

#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "ipc/codec.h"

namespace cordon::ipc {

Status FrameWriter::Enqueue(const Message& message) {
  Compact();
  return AppendFrame(message, version_, &queue_);
}

Status FrameWriter::EnqueueOutput(uint64_t id, Stream stream, std::string_view bytes) {
  Compact();
  do {
    const size_t n = std::min(bytes.size(), kMaxChunkSize);
    CORDON_TRY(AppendOutputFrame(id, stream, bytes.substr(0, n), version_, &queue_));
    bytes.remove_prefix(n);
  } while (!bytes.empty());
  return OkStatus();
}

Status FrameWriter::EnqueueStdin(uint64_t id, std::string_view bytes) {
  Compact();
  do {
    const size_t n = std::min(bytes.size(), kMaxChunkSize);
    CORDON_TRY(AppendFrame(Stdin{id, std::string(bytes.substr(0, n))}, version_, &queue_));
    bytes.remove_prefix(n);
  } while (!bytes.empty());
  return OkStatus();
}

Result<FrameWriter::FlushState> FrameWriter::Flush(int fd) {
  while (!empty()) {
    const char* data = queue_.data() + start_;
    const size_t len = queue_.size() - start_;
    ssize_t n =
        use_send_ ? ::send(fd, data, len, MSG_NOSIGNAL | MSG_DONTWAIT) : ::write(fd, data, len);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == ENOTSOCK && use_send_) {
        use_send_ = false;  // a pipe (tests, or a peer reached through one)
        continue;
      }
      if (errno == EAGAIN || errno == EWOULDBLOCK) return FlushState::kWouldBlock;
      return ErrnoError("write ipc socket");
    }
    start_ += static_cast<size_t>(n);
  }
  Compact();
  return FlushState::kDone;
}

void FrameWriter::Compact() {
  if (start_ == queue_.size()) {
    queue_.clear();
    start_ = 0;
  } else if (start_ > 0 && start_ >= queue_.size() / 2) {
    queue_.erase(0, start_);
    start_ = 0;
  }
}

}  // namespace cordon::ipc
