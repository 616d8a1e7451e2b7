// FrameReader over real socketpairs: whole streams in any chunking, and every kind of bad frame
// ends in a clean error (never a hang, never a crash, no allocation of a claimed length).
#include "ipc/frame_reader.h"

#include <fcntl.h>
#include <sys/socket.h>

#include <cerrno>
#include <random>

#include <gtest/gtest.h>

#include "base/sys.h"
#include "ipc/codec.h"
#include "ipc/test_messages.h"

namespace cordon::ipc {
namespace {

FdPair NonBlockingPair() {
  auto pair = SysSocketpair(SOCK_STREAM | SOCK_NONBLOCK);
  EXPECT_TRUE(pair.ok());
  return std::move(*pair);
}

std::string AllSamples() {
  std::string all;
  for (const Message& m : SampleMessages()) EXPECT_TRUE(AppendFrame(m, 1, &all).ok());
  return all;
}

// Reads `fd` until EOF, collecting messages; returns the first error or the messages.
Result<std::vector<Message>> DrainToEof(int fd, FrameReader& reader) {
  std::vector<Message> got;
  for (;;) {
    auto state = reader.ReadFrom(fd);
    if (!state) return state.error();
    for (;;) {
      auto next = reader.Next();
      if (!next) return next.error();
      if (!next->has_value()) break;
      got.push_back(std::move(**next));
    }
    if (*state == FrameReader::ReadState::kEof) return got;
    if (*state == FrameReader::ReadState::kWouldBlock) return got;  // writer closed already
  }
}

TEST(FrameReader, StreamOfAllMessagesOverSocketpair) {
  FdPair p = NonBlockingPair();
  ASSERT_TRUE(WriteAll(p.write.get(), AllSamples()).ok());
  p.write.reset();
  FrameReader reader;
  auto got = DrainToEof(p.read.get(), reader);
  ASSERT_TRUE(got.ok()) << got.error().ToString();
  EXPECT_TRUE(*got == SampleMessages());
  EXPECT_TRUE(reader.AtFrameBoundary());
  EXPECT_TRUE(reader.eof());
}

TEST(FrameReader, AnyChunkingGivesTheSameMessages) {
  const std::string all = AllSamples();
  std::mt19937 rng(7);
  for (int round = 0; round < 200; ++round) {
    FrameReader reader;
    std::vector<Message> got;
    size_t pos = 0;
    while (pos < all.size()) {
      size_t n = std::uniform_int_distribution<size_t>(1, round < 5 ? 1 : 700)(rng);
      n = std::min(n, all.size() - pos);
      reader.Feed(std::string_view(all).substr(pos, n));
      pos += n;
      for (;;) {
        auto next = reader.Next();
        ASSERT_TRUE(next.ok()) << next.error().ToString();
        if (!next->has_value()) break;
        got.push_back(std::move(**next));
      }
    }
    ASSERT_TRUE(got == SampleMessages()) << "round " << round;
  }
}

TEST(FrameReader, NextViewGivesTheSameOutputWithoutACopy) {
  const std::string all = AllSamples();
  std::mt19937 rng(8);
  for (int round = 0; round < 100; ++round) {
    FrameReader reader;
    std::vector<Message> got;
    size_t pos = 0;
    while (pos < all.size()) {
      const size_t n = std::min<size_t>(1 + rng() % 500, all.size() - pos);
      reader.Feed(std::string_view(all).substr(pos, n));
      pos += n;
      for (;;) {
        std::string_view view = "stale";
        auto next = reader.NextView(&view);
        ASSERT_TRUE(next.ok()) << next.error().ToString();
        if (!next->has_value()) {
          EXPECT_TRUE(view.empty());
          break;
        }
        if (auto* o = std::get_if<Output>(&**next)) {
          EXPECT_TRUE(o->bytes.empty());
          o->bytes.assign(view);
        } else {
          EXPECT_TRUE(view.empty());
        }
        got.push_back(std::move(**next));
      }
    }
    ASSERT_TRUE(got == SampleMessages()) << round;
  }
  // The fixed fields of a viewed Output are still validated.
  FrameReader reader;
  std::string bad = *EncodeFrame(Output{1, Stream::kStdout, "abc"});
  bad[kHeaderSize + 8] = 9;  // stream 9
  reader.Feed(bad);
  std::string_view view;
  EXPECT_EQ(reader.NextView(&view).error().err, EPROTO);
  EXPECT_TRUE(view.empty());
}

// Sends `bytes` then closes, and returns the reader's error.
Error ErrorFor(const std::string& bytes) {
  FdPair p = NonBlockingPair();
  EXPECT_TRUE(WriteAll(p.write.get(), bytes).ok());
  p.write.reset();
  FrameReader reader;
  auto got = DrainToEof(p.read.get(), reader);
  EXPECT_FALSE(got.ok());
  if (got.ok()) return Error{};
  // The failure sticks.
  auto again = reader.Next();
  EXPECT_FALSE(again.ok());
  return got.error();
}

std::string Good() { return *EncodeFrame(Signal{3, 15}); }

TEST(FrameReader, TruncatedFrameAtEofIsAnError) {
  const std::string f = Good();
  for (size_t cut = 1; cut < f.size(); ++cut) {
    Error e = ErrorFor(Good() + f.substr(0, cut));
    EXPECT_EQ(e.err, EPROTO) << cut;
    EXPECT_NE(e.detail.find("connection closed inside"), std::string::npos) << e.ToString();
  }
}

TEST(FrameReader, MalformedFrameIsAnError) {
  std::string f = Good();
  f[0] = 'X';
  EXPECT_EQ(ErrorFor(Good() + f).err, EPROTO);
  f = Good();
  f[kHeaderSize + 8] = 0;  // signal 0
  EXPECT_EQ(ErrorFor(f).err, EPROTO);
}

TEST(FrameReader, WrongVersionIsAnError) {
  std::string f = Good();
  f[4] = 2;
  Error e = ErrorFor(f);
  EXPECT_EQ(e.err, EPROTONOSUPPORT);
  // After the handshake only the agreed version is accepted.
  FrameReader reader(1, 5);
  reader.SetVersion(1);
  f[4] = 3;
  reader.Feed(f);
  EXPECT_EQ(reader.Next().error().err, EPROTONOSUPPORT);
}

TEST(FrameReader, UnknownTypeIsAnError) {
  std::string f = Good();
  f[6] = 77;
  EXPECT_EQ(ErrorFor(f).err, EPROTO);
}

TEST(FrameReader, OversizedHeaderFailsBeforeThePayloadArrives) {
  FdPair p = NonBlockingPair();
  std::string header = Good().substr(0, 8) + std::string("\xff\xff\xff\x7f", 4);  // ~2 GiB
  ASSERT_TRUE(WriteAll(p.write.get(), header).ok());
  // The writer stays open and sends nothing more: the reader must not wait for the payload.
  FrameReader reader;
  auto state = reader.ReadFrom(p.read.get());
  ASSERT_TRUE(state.ok());
  auto next = reader.Next();
  ASSERT_FALSE(next.ok());
  EXPECT_EQ(next.error().err, EMSGSIZE);
  EXPECT_LE(reader.buffered_bytes(), kHeaderSize);
}

TEST(FrameReader, PartialFrameWithoutEofJustWaits) {
  FdPair p = NonBlockingPair();
  const std::string f = Good();
  ASSERT_TRUE(WriteAll(p.write.get(), f.substr(0, 15)).ok());
  FrameReader reader;
  ASSERT_EQ(*reader.ReadFrom(p.read.get()), FrameReader::ReadState::kData);
  EXPECT_FALSE(reader.Next()->has_value());
  EXPECT_EQ(*reader.ReadFrom(p.read.get()), FrameReader::ReadState::kWouldBlock);
  ASSERT_TRUE(WriteAll(p.write.get(), f.substr(15)).ok());
  ASSERT_EQ(*reader.ReadFrom(p.read.get()), FrameReader::ReadState::kData);
  auto next = reader.Next();
  ASSERT_TRUE(next.ok() && next->has_value());
  EXPECT_TRUE(**next == Message(Signal{3, 15}));
}

TEST(FrameReader, CleanEofAtBoundaryIsNotAnError) {
  FdPair p = NonBlockingPair();
  p.write.reset();
  FrameReader reader;
  EXPECT_EQ(*reader.ReadFrom(p.read.get()), FrameReader::ReadState::kEof);
  auto next = reader.Next();
  ASSERT_TRUE(next.ok());
  EXPECT_FALSE(next->has_value());
}

TEST(FrameReader, LargestFrameIsAccepted) {
  FrameReader reader;
  auto f = EncodeFrame(Output{1, Stream::kStdout, std::string(kMaxPayloadSize - 9, 'z')});
  ASSERT_TRUE(f.ok());
  reader.Feed(*f);
  auto next = reader.Next();
  ASSERT_TRUE(next.ok() && next->has_value());
  EXPECT_EQ(std::get<Output>(**next).bytes.size(), kMaxPayloadSize - 9);
}

}  // namespace
}  // namespace cordon::ipc
