// Hostile input: valid frames mutated at random (bit flips, overwritten length fields, cut,
// spliced, garbage) through both DecodeFrame and a FrameReader fed in random chunks. Nothing may
// crash or hang, and whatever decodes must re-encode to a frame that decodes to the same value.
// (decode_fuzzer.cc is the coverage-guided version of this, built with clang.)
#include <random>

#include <gtest/gtest.h>

#include "ipc/codec.h"
#include "ipc/frame_reader.h"
#include "ipc/test_messages.h"

namespace cordon::ipc {
namespace {

std::string Mutate(std::string f, std::mt19937& rng) {
  auto pick = [&rng](size_t n) { return std::uniform_int_distribution<size_t>(0, n - 1)(rng); };
  const int edits = 1 + static_cast<int>(pick(4));
  for (int e = 0; e < edits && !f.empty(); ++e) {
    switch (pick(6)) {
      case 0:
        f[pick(f.size())] ^= static_cast<char>(1 << pick(8));
        break;
      case 1:
        f[pick(f.size())] = static_cast<char>(rng());
        break;
      case 2:
        f.resize(pick(f.size() + 1));
        break;
      case 3:
        f.insert(pick(f.size() + 1), std::string(1 + pick(8), static_cast<char>(rng())));
        break;
      case 4: {  // a 4-byte little-endian field overwritten with an extreme or nearby value
        if (f.size() < 4) break;
        const size_t at = pick(f.size() - 3);
        const uint32_t values[] = {0,
                                   1,
                                   0x7fffffff,
                                   0xffffffff,
                                   kMaxPayloadSize,
                                   kMaxPayloadSize + 1,
                                   static_cast<uint32_t>(rng())};
        const uint32_t v = values[pick(std::size(values))];
        for (int i = 0; i < 4; ++i) f[at + i] = static_cast<char>((v >> (8 * i)) & 0xff);
        break;
      }
      case 5:
        f.erase(pick(f.size()), 1 + pick(4));
        break;
    }
  }
  return f;
}

TEST(RandomDecode, MutatedFramesNeverCrashAndDecodedValuesAreCanonical) {
  std::vector<std::string> seeds;
  for (const Message& m : SampleMessages()) seeds.push_back(*EncodeFrame(m));
  std::mt19937 rng(20261128);
  int decoded = 0, rejected = 0;
  for (int i = 0; i < 200000; ++i) {
    const std::string f = Mutate(seeds[i % seeds.size()], rng);
    auto r = DecodeFrame(f);
    if (!r.ok()) {
      ++rejected;
      EXPECT_NE(r.error().err, 0);
      continue;
    }
    ++decoded;
    auto again = EncodeFrame(*r);
    ASSERT_TRUE(again.ok());
    auto back = DecodeFrame(*again);
    ASSERT_TRUE(back.ok());
    ASSERT_TRUE(*back == *r);
  }
  EXPECT_GT(decoded, 1000);  // the mutations are not all fatal, so the success path is covered
  EXPECT_GT(rejected, 100000);
}

TEST(RandomDecode, ReaderOnMutatedStreamsEndsInMessagesOrOneError) {
  std::vector<std::string> seeds;
  for (const Message& m : SampleMessages()) seeds.push_back(*EncodeFrame(m));
  std::mt19937 rng(99);
  for (int round = 0; round < 3000; ++round) {
    std::string stream;
    for (int k = 0; k < 8; ++k) {
      const std::string& s = seeds[rng() % seeds.size()];
      stream += (rng() % 4 == 0) ? Mutate(s, rng) : s;
    }
    FrameReader reader;
    bool failed = false;
    size_t pos = 0;
    while (pos < stream.size() && !failed) {
      const size_t n = std::min<size_t>(1 + rng() % 64, stream.size() - pos);
      reader.Feed(std::string_view(stream).substr(pos, n));
      pos += n;
      for (int guard = 0; guard < 100; ++guard) {
        std::string_view view;
        auto next = (round % 2 == 0) ? reader.Next() : reader.NextView(&view);
        if (!next.ok()) {
          failed = true;
          break;
        }
        if (!next->has_value()) break;
      }
    }
    // The buffer never holds more than one frame's worth beyond what was fed last.
    EXPECT_LE(reader.buffered_bytes(), stream.size());
  }
}

}  // namespace
}  // namespace cordon::ipc
