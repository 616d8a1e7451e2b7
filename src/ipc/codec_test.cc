// Round trips of every message, the exact byte layout, and the encoder's size cap.
#include "ipc/codec.h"

#include <cerrno>
#include <set>

#include <gtest/gtest.h>

#include "ipc/test_messages.h"

namespace cordon::ipc {
namespace {

TEST(Codec, EveryMessageRoundTrips) {
  std::set<MessageType> seen;
  for (const Message& m : SampleMessages()) {
    auto frame = EncodeFrame(m);
    ASSERT_TRUE(frame.ok()) << frame.error().ToString();
    auto back = DecodeFrame(*frame);
    ASSERT_TRUE(back.ok()) << MessageTypeName(TypeOf(m)) << ": " << back.error().ToString();
    EXPECT_TRUE(*back == m) << MessageTypeName(TypeOf(m));
    EXPECT_EQ(TypeOf(*back), TypeOf(m));
    seen.insert(TypeOf(m));
  }
  EXPECT_EQ(seen.size(), std::variant_size_v<Message>) << "a message type has no sample";
}

TEST(Codec, TypeOfMatchesEnumNames) {
  EXPECT_STREQ(MessageTypeName(TypeOf(Hello{})), "Hello");
  EXPECT_STREQ(MessageTypeName(TypeOf(Spawn{})), "Spawn");
  EXPECT_STREQ(MessageTypeName(TypeOf(Exit{})), "Exit");
  EXPECT_STREQ(MessageTypeName(TypeOf(Shutdown{})), "Shutdown");
  EXPECT_STREQ(MessageTypeName(static_cast<MessageType>(99)), "unknown");
}

// The layout is part of the protocol: pin it byte for byte.
TEST(Codec, OutputFrameLayoutIsLittleEndianAndRaw) {
  auto frame = EncodeFrame(Output{0x0102030405060708, Stream::kStderr, std::string("a\0b", 3)});
  ASSERT_TRUE(frame.ok());
  const std::string expected(
      "CRDN"                              // magic
      "\x01\x00"                          // version 1
      "\x06\x00"                          // type 6 = Output
      "\x0c\x00\x00\x00"                  // payload length 12
      "\x08\x07\x06\x05\x04\x03\x02\x01"  // id
      "\x02"                              // stream 2 = stderr
      "a",
      22);
  EXPECT_EQ(*frame, expected + std::string("\0b", 2));
}

TEST(Codec, SpawnStringsAreLengthPrefixed) {
  auto frame = EncodeFrame(Spawn{1, {"ab"}, "/", {}, true, 2, 3, false});
  ASSERT_TRUE(frame.ok());
  const std::string payload = frame->substr(kHeaderSize);
  const std::string expected(
      "\x01\0\0\0\0\0\0\0"  // id
      "\x01\0\0\0"          // argv count
      "\x02\0\0\0ab"        // argv[0]
      "\x01\0\0\0/"         // cwd
      "\0\0\0\0"            // env count
      "\x01"                // tty
      "\x02\0\x03\0"        // rows, cols
      "\0",                 // stdin_open
      33);
  EXPECT_EQ(payload, expected);
}

TEST(Codec, AppendOutputFrameEqualsEncodedMessage) {
  std::string a;
  ASSERT_TRUE(AppendOutputFrame(9, Stream::kPty, "xyz", kMaxVersion, &a).ok());
  EXPECT_EQ(a, *EncodeFrame(Output{9, Stream::kPty, "xyz"}));
}

TEST(Codec, EncoderRefusesPayloadOverCapAndLeavesBufferIntact) {
  std::string out = "keep";
  Status st = AppendFrame(Stdin{1, std::string(kMaxPayloadSize, 'x')}, kMaxVersion, &out);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().err, EMSGSIZE);
  EXPECT_EQ(out, "keep");
  st = AppendOutputFrame(1, Stream::kStdout, std::string(kMaxPayloadSize + 1, 'x'), 1, &out);
  EXPECT_EQ(st.error().err, EMSGSIZE);
  EXPECT_EQ(out, "keep");
  // Exactly at the cap is allowed (id 8 bytes + stream 1 byte + bytes).
  EXPECT_TRUE(
      AppendOutputFrame(1, Stream::kStdout, std::string(kMaxPayloadSize - 9, 'x'), 1, &out).ok());
}

std::string Frame(uint16_t version, uint16_t type, std::string_view payload) {
  std::string f = "CRDN";
  f.push_back(static_cast<char>(version & 0xff));
  f.push_back(static_cast<char>(version >> 8));
  f.push_back(static_cast<char>(type & 0xff));
  f.push_back(static_cast<char>(type >> 8));
  const uint32_t n = static_cast<uint32_t>(payload.size());
  for (int i = 0; i < 4; ++i) f.push_back(static_cast<char>((n >> (8 * i)) & 0xff));
  f.append(payload);
  return f;
}

int DecodeErrno(const std::string& frame) {
  auto r = DecodeFrame(frame);
  return r.ok() ? 0 : r.error().err;
}

TEST(Codec, RejectsBadFramesWithTheRightError) {
  const std::string id(std::string("\x05\0\0\0\0\0\0\0", 8));
  EXPECT_EQ(DecodeErrno(Frame(1, 10, id + std::string("\x02\0\0\0", 4))), 0);  // valid Signal
  EXPECT_EQ(DecodeErrno("XRDN" + Frame(1, 10, id).substr(4)), EPROTO);         // magic
  EXPECT_EQ(DecodeErrno(Frame(2, 13, "")), EPROTONOSUPPORT);                   // version
  EXPECT_EQ(DecodeErrno(Frame(0, 13, "")), EPROTONOSUPPORT);
  EXPECT_EQ(DecodeErrno(Frame(1, 0, "")), EPROTO);  // unknown type
  EXPECT_EQ(DecodeErrno(Frame(1, 14, "")), EPROTO);
  EXPECT_EQ(DecodeErrno(Frame(1, 10, id)), EPROTO);                                  // short
  EXPECT_EQ(DecodeErrno(Frame(1, 10, id + std::string("\x02\0\0\0!", 5))), EPROTO);  // trailing
  EXPECT_EQ(DecodeErrno(Frame(1, 13, "x")), EPROTO);  // Shutdown + byte
  EXPECT_EQ(DecodeErrno(Frame(1, 10, std::string(8, '\0') + std::string("\x02\0\0\0", 4))),
            EPROTO);                                                              // id 0
  EXPECT_EQ(DecodeErrno(Frame(1, 10, id + std::string("\0\0\0\0", 4))), EPROTO);  // signal 0
  EXPECT_EQ(DecodeErrno(Frame(1, 6,
                              id + "\x04"
                                   "data")),
            EPROTO);                                                                  // stream 4
  EXPECT_EQ(DecodeErrno(Frame(1, 11, id + "\x02" + std::string(4, '\0'))), EPROTO);   // bool 2
  EXPECT_EQ(DecodeErrno(Frame(1, 11, id + std::string("\0\0\x01\0\0", 5))), EPROTO);  // code 256
  EXPECT_EQ(DecodeErrno(Frame(1, 2, std::string("\0\0", 2))), EPROTO);                // HelloAck v0
  EXPECT_EQ(DecodeErrno(Frame(1, 1, std::string("\x02\0\x01\0\0\0\0\0\0\0\0\0", 12))),
            EPROTO);  // min > max
  // Header length disagreeing with the bytes present.
  std::string f = Frame(1, 13, "");
  f.push_back('x');
  EXPECT_EQ(DecodeErrno(f), EPROTO);
}

TEST(Codec, RejectsOversizedLengthFromTheHeaderAlone) {
  std::string header = Frame(1, 7, "").substr(0, 8);
  const uint32_t n = kMaxPayloadSize + 1;
  for (int i = 0; i < 4; ++i) header.push_back(static_cast<char>((n >> (8 * i)) & 0xff));
  auto h = ParseHeader(header, kMinVersion, kMaxVersion);
  ASSERT_FALSE(h.ok());
  EXPECT_EQ(h.error().err, EMSGSIZE);
  header[11] = '\xff';  // 4 GiB claimed
  EXPECT_EQ(ParseHeader(header, kMinVersion, kMaxVersion).error().err, EMSGSIZE);
}

TEST(Codec, SpawnFieldsAreValidated) {
  auto encode = [](Spawn s) { return *EncodeFrame(s); };
  EXPECT_EQ(DecodeErrno(encode(Spawn{1, {}, "/", {}, false, 1, 1, true})), EPROTO);  // no argv
  EXPECT_EQ(DecodeErrno(encode(Spawn{1, {std::string("a\0b", 3)}, "", {}, false, 1, 1, true})),
            EPROTO);
  EXPECT_EQ(DecodeErrno(encode(Spawn{1, {"a"}, std::string("/\0", 2), {}, false, 1, 1, true})),
            EPROTO);
  EXPECT_EQ(DecodeErrno(encode(Spawn{1, {"a"}, "", {std::string("A=\0", 3)}, false, 1, 1, true})),
            EPROTO);
  // A string length running past the payload, and an argv count no payload could hold.
  std::string f = encode(Spawn{1, {"ab"}, "/", {}, false, 1, 1, true});
  f[kHeaderSize + 12] = '\x7f';  // argv[0] length 127
  EXPECT_EQ(DecodeErrno(f), EPROTO);
  f = encode(Spawn{1, {"ab"}, "/", {}, false, 1, 1, true});
  f[kHeaderSize + 8 + 3] = '\x7f';  // argv count ~2 billion: refused before reserving
  EXPECT_EQ(DecodeErrno(f), EPROTO);
}

}  // namespace
}  // namespace cordon::ipc
