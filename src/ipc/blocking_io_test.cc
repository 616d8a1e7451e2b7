// ReadMessage/WriteMessage with deadlines: a peer that stalls mid-frame costs at most the
// deadline; exactly one frame is consumed per call.
#include "ipc/blocking_io.h"

#include <sys/socket.h>

#include <cerrno>
#include <thread>

#include <gtest/gtest.h>

#include "base/sys.h"
#include "ipc/codec.h"
#include "ipc/frame_reader.h"

namespace cordon::ipc {
namespace {

using std::chrono::milliseconds;

FdPair Pair() {
  auto pair = SysSocketpair(SOCK_STREAM);  // blocking, as a simple peer would use
  EXPECT_TRUE(pair.ok());
  return std::move(*pair);
}

TEST(BlockingIo, PeerStallingMidFrameTimesOutInBoundedTime) {
  FdPair p = Pair();
  const std::string f = *EncodeFrame(Spawn{1, {"sh"}, "/", {}, false, 1, 1, true});
  for (size_t cut : {size_t{0}, size_t{5}, kHeaderSize, f.size() - 1}) {
    FdPair q = Pair();
    ASSERT_TRUE(WriteAll(q.write.get(), f.substr(0, cut)).ok());
    const auto start = Clock::now();
    auto r = ReadMessage(q.read.get(), DeadlineAfter(milliseconds(200)));
    const auto took = Clock::now() - start;
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().err, ETIMEDOUT) << cut;
    EXPECT_GE(took, milliseconds(190));
    EXPECT_LT(took, milliseconds(1000));
  }
}

TEST(BlockingIo, ReadsExactlyOneFrameAndLeavesTheRest) {
  FdPair p = Pair();
  std::string two = *EncodeFrame(SpawnReady{1, 10}) + *EncodeFrame(Output{1, Stream::kPty, "x"});
  ASSERT_TRUE(WriteAll(p.write.get(), two).ok());
  auto first = ReadMessage(p.read.get(), DeadlineAfter(milliseconds(1000)));
  ASSERT_TRUE(first.ok());
  EXPECT_TRUE(*first == Message(SpawnReady{1, 10}));
  p.write.reset();
  FrameReader reader;  // takes over: the second frame must be there whole
  ASSERT_TRUE(reader.ReadFrom(p.read.get()).ok());
  auto next = reader.Next();
  ASSERT_TRUE(next.ok() && next->has_value());
  EXPECT_TRUE(**next == Message(Output{1, Stream::kPty, "x"}));
}

TEST(BlockingIo, EofErrors) {
  FdPair p = Pair();
  p.write.reset();
  auto r = ReadMessage(p.read.get(), DeadlineAfter(milliseconds(1000)));
  EXPECT_EQ(r.error().err, ECONNRESET);

  const std::string f = *EncodeFrame(Exit{1, false, 0});
  for (size_t cut : {size_t{3}, kHeaderSize + 2}) {
    FdPair q = Pair();
    ASSERT_TRUE(WriteAll(q.write.get(), f.substr(0, cut)).ok());
    q.write.reset();
    auto e = ReadMessage(q.read.get(), DeadlineAfter(milliseconds(1000)));
    EXPECT_EQ(e.error().err, EPROTO) << cut;
  }
}

TEST(BlockingIo, OversizedAndWrongVersionFailAfterTheHeader) {
  FdPair p = Pair();
  std::string h = EncodeFrame(Shutdown{})->substr(0, 8) + std::string("\0\0\0\x10", 4);  // 256 MiB
  ASSERT_TRUE(WriteAll(p.write.get(), h).ok());
  auto r = ReadMessage(p.read.get(), DeadlineAfter(milliseconds(5000)));
  EXPECT_EQ(r.error().err, EMSGSIZE);

  std::string v = *EncodeFrame(Shutdown{});
  v[4] = 9;
  ASSERT_TRUE(WriteAll(p.write.get(), v).ok());
  EXPECT_EQ(ReadMessage(p.read.get(), DeadlineAfter(milliseconds(5000))).error().err,
            EPROTONOSUPPORT);
}

TEST(BlockingIo, WriteToAPeerThatNeverReadsTimesOut) {
  FdPair p = Pair();
  const int small = 4096;
  ASSERT_EQ(setsockopt(p.write.get(), SOL_SOCKET, SO_SNDBUF, &small, sizeof small), 0);
  const auto start = Clock::now();
  Status st = OkStatus();
  for (int i = 0; i < 100 && st.ok(); ++i) {
    st = WriteMessage(p.write.get(), Stdin{1, std::string(60000, 'x')},
                      DeadlineAfter(milliseconds(200)));
  }
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().err, ETIMEDOUT);
  EXPECT_LT(Clock::now() - start, milliseconds(2000));
}

TEST(BlockingIo, RoundTripBetweenThreads) {
  FdPair p = Pair();
  std::thread peer([fd = p.write.get()] {
    for (uint64_t i = 1; i <= 100; ++i) {
      EXPECT_TRUE(WriteMessage(fd, Output{i, Stream::kStdout, std::string(i * 1000, 'a')},
                               DeadlineAfter(milliseconds(5000)))
                      .ok());
    }
  });
  for (uint64_t i = 1; i <= 100; ++i) {
    auto m = ReadMessage(p.read.get(), DeadlineAfter(milliseconds(5000)));
    ASSERT_TRUE(m.ok()) << m.error().ToString();
    EXPECT_EQ(std::get<Output>(*m).bytes.size(), i * 1000);
  }
  peer.join();
}

}  // namespace
}  // namespace cordon::ipc
