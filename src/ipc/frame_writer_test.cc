// FrameWriter against a socket whose buffer fills up: partial writes resume at the right byte
// and the reader sees every frame byte-exact.
#include "ipc/frame_writer.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <random>
#include <thread>

#include <gtest/gtest.h>

#include "base/sys.h"
#include "ipc/frame_reader.h"

namespace cordon::ipc {
namespace {

TEST(FrameWriter, FullSocketBufferPartialWritesAreResumed) {
  auto pair = SysSocketpair(SOCK_STREAM | SOCK_NONBLOCK);
  ASSERT_TRUE(pair.ok());
  const int small = 4096;  // the kernel doubles it and applies a minimum; still far below 8 MiB
  ASSERT_EQ(setsockopt(pair->write.get(), SOL_SOCKET, SO_SNDBUF, &small, sizeof small), 0);
  ASSERT_EQ(setsockopt(pair->read.get(), SOL_SOCKET, SO_RCVBUF, &small, sizeof small), 0);

  // 8 MiB of pseudo-random bytes on two streams, in odd-sized pieces.
  std::mt19937 rng(1);
  std::string expected_out, expected_err;
  FrameWriter writer;
  for (int i = 0; i < 300; ++i) {
    std::string piece(std::uniform_int_distribution<size_t>(1, 60000)(rng), '\0');
    for (char& c : piece) c = static_cast<char>(rng());
    const bool err = i % 3 == 0;
    (err ? expected_err : expected_out) += piece;
    ASSERT_TRUE(writer.EnqueueOutput(5, err ? Stream::kStderr : Stream::kStdout, piece).ok());
  }
  ASSERT_TRUE(writer.Enqueue(Exit{5, false, 0}).ok());

  auto first = writer.Flush(pair->write.get());
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(*first, FrameWriter::FlushState::kWouldBlock) << "the buffer should have filled";
  EXPECT_GT(writer.queued_bytes(), 0u);

  FrameReader reader;
  std::string got_out, got_err;
  bool exited = false;
  int would_block = 0;
  while (!exited) {
    pollfd fds[2] = {{pair->read.get(), POLLIN, 0},
                     {pair->write.get(), static_cast<short>(writer.empty() ? 0 : POLLOUT), 0}};
    ASSERT_GT(poll(fds, 2, 5000), 0) << "stalled";
    if (fds[1].revents & POLLOUT) {
      auto st = writer.Flush(pair->write.get());
      ASSERT_TRUE(st.ok()) << st.error().ToString();
      if (*st == FrameWriter::FlushState::kWouldBlock) ++would_block;
    }
    if (fds[0].revents & POLLIN) {
      ASSERT_TRUE(reader.ReadFrom(pair->read.get(), 3000).ok());
      for (;;) {
        auto next = reader.Next();
        ASSERT_TRUE(next.ok()) << next.error().ToString();
        if (!next->has_value()) break;
        if (auto* o = std::get_if<Output>(&**next)) {
          ASSERT_LE(o->bytes.size(), kMaxChunkSize);
          (o->stream == Stream::kStderr ? got_err : got_out) += o->bytes;
        } else {
          ASSERT_TRUE(std::holds_alternative<Exit>(**next));
          exited = true;
        }
      }
    }
  }
  EXPECT_GT(would_block, 10);
  EXPECT_TRUE(writer.empty());
  EXPECT_EQ(got_out.size(), expected_out.size());
  EXPECT_TRUE(got_out == expected_out);
  EXPECT_TRUE(got_err == expected_err);
}

// SendOutput writes straight from the caller's bytes while the queue is empty and queues the
// rest of a partly sent frame byte-exact; a reader thread checks the stream on a tiny buffer.
void SendOutputStream(int writer_fd, int reader_fd) {
  std::mt19937 rng(2);
  std::string expected;
  std::vector<std::string> pieces;
  for (int i = 0; i < 400; ++i) {
    std::string piece(std::uniform_int_distribution<size_t>(1, 100000)(rng), '\0');
    for (char& c : piece) c = static_cast<char>(rng());
    expected += piece;
    pieces.push_back(std::move(piece));
  }
  std::string got;
  std::thread reader([&] {
    FrameReader r;
    for (;;) {
      pollfd p{reader_fd, POLLIN, 0};
      poll(&p, 1, 5000);
      auto st = r.ReadFrom(reader_fd, 1000);
      ASSERT_TRUE(st.ok());
      for (;;) {
        auto next = r.Next();
        ASSERT_TRUE(next.ok()) << next.error().ToString();
        if (!next->has_value()) break;
        got += std::get<Output>(**next).bytes;
      }
      if (*st == FrameReader::ReadState::kEof) return;
    }
  });
  FrameWriter writer;
  int would_block = 0;
  for (const std::string& piece : pieces) {
    auto st = writer.SendOutput(writer_fd, 1, Stream::kStdout, piece);
    ASSERT_TRUE(st.ok()) << st.error().ToString();
    if (*st == FrameWriter::FlushState::kWouldBlock) ++would_block;
    while (writer.queued_bytes() > (256u << 10)) {
      pollfd p{writer_fd, POLLOUT, 0};
      poll(&p, 1, 5000);
      ASSERT_TRUE(writer.Flush(writer_fd).ok());
    }
  }
  while (!writer.empty()) {
    pollfd p{writer_fd, POLLOUT, 0};
    poll(&p, 1, 5000);
    ASSERT_TRUE(writer.Flush(writer_fd).ok());
  }
  ::close(writer_fd);
  reader.join();
  EXPECT_GT(would_block, 0);
  EXPECT_EQ(got.size(), expected.size());
  EXPECT_TRUE(got == expected);
}

TEST(FrameWriter, SendOutputOnASocketWithAFullBuffer) {
  auto pair = SysSocketpair(SOCK_STREAM | SOCK_NONBLOCK);
  ASSERT_TRUE(pair.ok());
  const int small = 4096;
  ASSERT_EQ(setsockopt(pair->write.get(), SOL_SOCKET, SO_SNDBUF, &small, sizeof small), 0);
  SendOutputStream(pair->write.release(), pair->read.get());
}

TEST(FrameWriter, SendOutputOnAPipe) {
  auto pipe = SysPipe(O_NONBLOCK);
  ASSERT_TRUE(pipe.ok());
  SendOutputStream(pipe->write.release(), pipe->read.get());
}

TEST(FrameWriter, VanishedPeerIsEpipeNotSigpipe) {
  auto pair = SysSocketpair(SOCK_STREAM | SOCK_NONBLOCK);
  ASSERT_TRUE(pair.ok());
  pair->read.reset();
  FrameWriter writer;
  ASSERT_TRUE(writer.Enqueue(Shutdown{}).ok());
  auto st = writer.Flush(pair->write.get());
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().err, EPIPE);
}

TEST(FrameWriter, WorksOnPipes) {
  auto pipe = SysPipe(O_NONBLOCK);
  ASSERT_TRUE(pipe.ok());
  FrameWriter writer;
  ASSERT_TRUE(writer.EnqueueStdin(2, std::string(100000, 's')).ok());  // two chunks
  ASSERT_TRUE(writer.Enqueue(CloseStdin{2}).ok());
  FrameReader reader;
  std::string got;
  bool closed = false;
  while (!closed) {
    ASSERT_TRUE(writer.Flush(pipe->write.get()).ok());
    ASSERT_TRUE(reader.ReadFrom(pipe->read.get()).ok());
    for (;;) {
      auto next = reader.Next();
      ASSERT_TRUE(next.ok());
      if (!next->has_value()) break;
      if (auto* s = std::get_if<Stdin>(&**next)) got += s->bytes;
      closed = std::holds_alternative<CloseStdin>(**next);
    }
  }
  EXPECT_EQ(got, std::string(100000, 's'));
}

}  // namespace
}  // namespace cordon::ipc
