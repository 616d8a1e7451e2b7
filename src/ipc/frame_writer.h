// FrameWriter: a queue of encoded frames and the code that writes them to a non-blocking fd as
// far as the kernel takes them. Partial writes are resumed at the exact byte where they stopped.
// With poll/epoll: watch the fd for writability only while !empty(), call Flush() when it is
// writable. queued_bytes() is the back-pressure signal: a runner stops reading a child's output
// while it is above a high-water mark, so a slow host never makes the runner's memory grow.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/result.h"
#include "ipc/protocol.h"

namespace cordon::ipc {

class FrameWriter {
 public:
  explicit FrameWriter(uint16_t version = kMaxVersion) : version_(version) {}

  void SetVersion(uint16_t version) { version_ = version; }

  enum class FlushState {
    kDone,        // the queue is empty
    kWouldBlock,  // the kernel buffer is full (EAGAIN): wait for writability and call again
  };
  // Encodes and queues one frame. Fails (EMSGSIZE) for a payload above the cap; nothing is
  // queued then.
  Status Enqueue(const Message& message);
  // Queues Output frames straight from the bytes read from a pipe or PTY, split in chunks of at
  // most kMaxChunkSize.
  Status EnqueueOutput(uint64_t id, Stream stream, std::string_view bytes);
  // The runner's hot path: Output frames for `bytes`, written to `fd` straight from `bytes`
  // (header and bytes in one sendmsg, no copy) while nothing else is queued; whatever the socket
  // does not take now is queued. Then the same as Flush().
  Result<FlushState> SendOutput(int fd, uint64_t id, Stream stream, std::string_view bytes);
  // Queues Stdin frames, split the same way.
  Status EnqueueStdin(uint64_t id, std::string_view bytes);

  // write(2)s queued bytes until the queue is empty or the fd would block (EINTR retried). Uses
  // send(MSG_NOSIGNAL) on sockets so a vanished peer is EPIPE, not SIGPIPE.
  Result<FlushState> Flush(int fd);

  bool empty() const { return start_ == queue_.size(); }
  size_t queued_bytes() const { return queue_.size() - start_; }

 private:
  void Compact();

  uint16_t version_;
  std::string queue_;
  size_t start_ = 0;  // first unwritten byte of queue_
  bool use_send_ = true;
};

}  // namespace cordon::ipc
