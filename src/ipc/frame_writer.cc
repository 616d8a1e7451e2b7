// FrameWriter: see frame_writer.h.
#include "ipc/frame_writer.h"

#include <sys/socket.h>
#include <sys/uio.h>
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

Result<FrameWriter::FlushState> FrameWriter::SendOutput(int fd, uint64_t id, Stream stream,
                                                        std::string_view bytes) {
  while (empty() && use_send_ && !bytes.empty()) {
    const size_t n = std::min(bytes.size(), kMaxChunkSize);
    auto prefix = OutputFramePrefix(id, stream, n, version_);
    iovec iov[2] = {{prefix.data(), prefix.size()}, {const_cast<char*>(bytes.data()), n}};
    msghdr msg{};
    msg.msg_iov = iov;
    msg.msg_iovlen = 2;
    ssize_t sent = ::sendmsg(fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (sent < 0) {
      if (errno == EINTR) continue;
      if (errno == ENOTSOCK) {
        use_send_ = false;
        break;
      }
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      return ErrnoError("write ipc socket");
    }
    // Queue what of this frame the socket did not take, byte-exact.
    const size_t done = static_cast<size_t>(sent);
    if (done < prefix.size()) {
      queue_.append(prefix.data() + done, prefix.size() - done);
      queue_.append(bytes.data(), n);
    } else if (done < prefix.size() + n) {
      queue_.append(bytes.data() + (done - prefix.size()), n - (done - prefix.size()));
    }
    bytes.remove_prefix(n);
  }
  if (!bytes.empty()) CORDON_TRY(EnqueueOutput(id, stream, bytes));
  return Flush(fd);
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
